#!/usr/bin/env bash
# Installs the Debian packages the test suite uses: real XenStore clients and qemu-ga (the references for
# the two pairs), network tools and dhclient, mount and e2fsprogs (a loop-mounted ext4 image to freeze),
# openssl and mkpasswd as independent checkers, dbus-daemon and python3-dbus for a stand-in RHSM, lintian, rpm, mmdebstrap, systemd and systemd-container for the package
# checks and the Debian install and boot tests. As root it installs what is missing; otherwise it says what
# is missing, which tests will therefore skip, and the exact line to install them.
set -euo pipefail
packages=(xenstore-utils python3-pyxs qemu-guest-agent ifupdown isc-dhcp-client logrotate netplan.io iproute2 openssl whois python3 procps util-linux mount e2fsprogs dbus-daemon python3-dbus python3-gi lintian rpm mmdebstrap systemd systemd-container)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null; then
  echo "install-test-deps: no apt-get here (not Debian or Ubuntu); the conformance and system tests that need" >&2
  echo "  these Debian packages will skip: ${missing[*]}" >&2
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-test-deps: not root, so these Debian packages stay missing: ${missing[*]}" >&2
  echo "  The tests that need them will skip (real XenStore clients, network namespaces, password checkers)." >&2
  echo "  To run them, install as root:  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 0
fi
echo "install-test-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
