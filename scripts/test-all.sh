#!/usr/bin/env bash
# Runs every test: unit tests, in-container tests, conformance and system tests. Installs the
# Debian packages the tests need first (as root; otherwise it says which tests will skip).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-test-deps.sh
exec mvn -B -ntp -Dstyle.color=never verify "$@"
