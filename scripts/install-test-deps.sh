#!/usr/bin/env bash
# Installs the Debian packages the test suite uses (real XenStore clients, network tools and dhclient,
# openssl and mkpasswd as independent checkers, dbus-daemon and python-dbus for a stand-in RHSM). Needs root; without it, says what is missing.
set -euo pipefail
packages=(xenstore-utils python3-pyxs ifupdown isc-dhcp-client logrotate netplan.io iproute2 openssl whois python3 procps util-linux dbus-daemon python3-dbus python3-gi)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "install-test-deps: not root; tests needing these packages will skip: ${missing[*]}" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
