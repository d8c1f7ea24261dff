#!/usr/bin/env bash
# Runs every test: unit tests, in-container tests, conformance and system tests.
set -euo pipefail
cd "$(dirname "$0")/.."
exec mvn -B -ntp verify "$@"
