#!/bin/sh
# Installs the built distribution (launcher/target/guest-agent, or the folder holding this
# script's parent) into /opt/guest-agent and registers it with systemd or SysV init.
# Usage: install.sh [--prefix DIR] [--no-service]
# Existing config/ files are kept: the new defaults are placed beside them as <file>.new.
set -eu

prefix=/opt/guest-agent
service=yes
while [ $# -gt 0 ]; do
    case $1 in
        --prefix) [ $# -ge 2 ] || { echo "install.sh: --prefix needs a folder" >&2; exit 2; }; prefix=$2; shift 2 ;;
        --no-service) service=no; shift ;;
        -h|--help) sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "install.sh: unknown option '$1'" >&2; exit 2 ;;
    esac
done

here=$(cd "$(dirname "$0")" && pwd -P)
if [ -x "$here/../bin/guest-agent" ]; then
    dist=$(cd "$here/.." && pwd -P)                      # run from an unpacked distribution
elif [ -x "$here/../launcher/target/guest-agent/bin/guest-agent" ]; then
    dist=$(cd "$here/../launcher/target/guest-agent" && pwd -P)   # run from the source tree
else
    echo "install.sh: no built distribution found; run 'mvn package' first" >&2
    exit 1
fi
if [ "$(id -u)" -ne 0 ] && [ "$service" = yes ]; then
    echo "install.sh: registering the service needs root (or use --no-service with --prefix)" >&2
    exit 1
fi

mkdir -p "$prefix"
for part in bin lib bundles features scripts; do
    rm -rf "${prefix:?}/$part"
    cp -R "$dist/$part" "$prefix/$part"
done
mkdir -p "$prefix/deploy" "$prefix/config"
for file in "$dist"/config/*; do
    name=$(basename "$file")
    if [ -e "$prefix/config/$name" ] && ! cmp -s "$file" "$prefix/config/$name"; then
        cp "$file" "$prefix/config/$name.new"
    else
        cp "$file" "$prefix/config/$name"
    fi
done
chmod 755 "$prefix"/bin/*
chmod 700 "$prefix/config" "$prefix/deploy"
# The agent refuses to start from files that others than root could change (README, Security model).
chmod -R go-w "$prefix"
echo "installed the guest agent in $prefix"
# The class data archive belongs to this folder and this JDK: make it here (a start without it
# works, only more slowly). Run "$prefix/bin/guest-agent --make-cds" again after a JDK update.
"$prefix/bin/guest-agent" --make-cds || true

[ "$service" = yes ] || exit 0
if [ -d /etc/logrotate.d ]; then
    cp "$dist/scripts/guest-agent.logrotate" /etc/logrotate.d/guest-agent
    echo "installed /etc/logrotate.d/guest-agent"
fi
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    sed "s#/opt/guest-agent#$prefix#g" "$dist/scripts/guest-agent.service" > /etc/systemd/system/guest-agent.service
    if [ -d /etc/udev/rules.d ]; then
        cp "$dist/scripts/60-guest-agent.rules" /etc/udev/rules.d/60-guest-agent.rules
        udevadm control --reload-rules >/dev/null 2>&1 || true
    fi
    systemctl daemon-reload
    systemctl enable guest-agent.service
    echo "enabled guest-agent.service; start it with: systemctl start guest-agent"
elif command -v openrc-run >/dev/null 2>&1; then
    sed "s#/opt/guest-agent#$prefix#g" "$dist/scripts/guest-agent.openrc" > /etc/init.d/guest-agent
    chmod 755 /etc/init.d/guest-agent
    rc-update add guest-agent default
    echo "installed /etc/init.d/guest-agent (OpenRC); start it with: rc-service guest-agent start"
elif [ "$(uname -s)" = FreeBSD ]; then
    sed "s#/opt/guest-agent#$prefix#g" "$dist/scripts/guest-agent.rc" > /usr/local/etc/rc.d/guest_agent
    chmod 755 /usr/local/etc/rc.d/guest_agent
    sysrc guest_agent_enable=YES
    echo "installed /usr/local/etc/rc.d/guest_agent; start it with: service guest_agent start"
else
    sed "s#/opt/guest-agent#$prefix#g" "$dist/scripts/guest-agent.init" > /etc/init.d/guest-agent
    chmod 755 /etc/init.d/guest-agent
    if command -v update-rc.d >/dev/null 2>&1; then
        update-rc.d guest-agent defaults
    elif command -v chkconfig >/dev/null 2>&1; then
        chkconfig --add guest-agent
    fi
    echo "installed /etc/init.d/guest-agent; start it with: /etc/init.d/guest-agent start"
fi
