#!/usr/bin/env bash
# Builds the agent and runs it on its embedded default with both pairs: the Xen pair on the
# XenStore simulator in the agent's own container, and the KVM pair (QEMU guest agent protocol) on
# a unix-listen socket, both under a scratch root (scratch/demo/root) so nothing touches the real
# /etc. Then plays both hosts once (version, features, a password change; guest-ping, guest-get-osinfo)
# and shows the pairs (agent:pairs) so you see them answer.
# DEMO_SKIP_BUILD=1 skips the build; DEMO_DIR chooses the scratch folder.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
if [ -z "${DEMO_SKIP_BUILD:-}" ]; then
  echo "== building (mvn package, tests skipped; scripts/test-all.sh runs them)"
  # Debian's Maven prints colour resets even in batch mode: strip them.
  mvn -B -q -ntp -Dstyle.color=never -DskipTests package 2>&1 | sed 's/\x1b\[[0-9;]*m//g'
fi
dist=$top/launcher/target/guest-agent
demo=${DEMO_DIR:-$top/scratch/demo}
root=$demo/root
pidfile=$root/run/guest-agent/guest-agent.pid

old=$(cat "$pidfile" 2>/dev/null || true)
if [[ "$old" =~ ^[0-9]+$ ]] && kill -0 "$old" 2>/dev/null; then
  echo "== stopping the previous demo agent (pid $old)"
  kill "$old"
  # wait for that process alone (at most 10 s), not for the pid file
  for _ in $(seq 100); do kill -0 "$old" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$old" 2>/dev/null; then
    echo "== the previous agent (pid $old) did not stop within 10 s; killing it"
    kill -9 "$old" 2>/dev/null || true
  fi
fi

echo "== a scratch guest at $root"
rm -rf "$root"
mkdir -p "$root/etc/network" "$root/sys/class/net/eth0"
printf 'root:*:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n' > "$root/etc/shadow"
chmod 640 "$root/etc/shadow"
printf 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n' > "$root/etc/os-release"
printf '127.0.0.1\tlocalhost\n' > "$root/etc/hosts"
echo demo > "$root/etc/hostname"
echo 'de:ad:be:ef:00:01' > "$root/sys/class/net/eth0/address"

# The distribution's configuration, but the QGA exchange listens on a socket under the scratch
# root instead of opening the virtio-serial port a KVM guest has.
qga=$root/run/guest-agent/qga.sock
rm -rf "$demo/config"
cp -R "$dist/config" "$demo/config"
sed -i "s|^mode = .*|mode = unix-listen|; s|^path = .*|path = $qga|" "$demo/config/org.guestagent.exchange.virtioserial.cfg"

# auto: the pairs whose host channel exists -- xen (the dev feature's simulator) and kvm (the socket)
echo "== starting the agent (features guest-agent-core,auto,guest-agent-shell,guest-agent-dev; config $demo/config)"
"$dist/bin/guest-agent" --root "$root" --config "$demo/config" --features guest-agent-core,auto,guest-agent-shell,guest-agent-dev

export XENSTORED_PATH=$root/run/guest-agent/xenstored.sock
client=$dist/bin/guest-agent-client
echo "== the Xen host asks: version";   "$client" version
echo "== the Xen host asks: features";  "$client" features
echo "== the Xen host sets the root password"; "$client" password 'demo-Passw0rd'
echo "   root's entry in $root/etc/shadow is now:"
grep '^root:' "$root/etc/shadow" | cut -c1-40 | sed 's/$/.../; s/^/   /'
echo "== the KVM host asks: guest-ping";       "$client" --qga "$qga" guest-ping
echo "== the KVM host asks: guest-get-osinfo"; "$client" --qga "$qga" guest-get-osinfo
echo "== the agent's pairs (agent:pairs)"
echo agent:pairs | "$dist/bin/guest-agent" shell --root "$root"

cat <<EOF

The agent is running (pid $(cat "$pidfile")), log: $root/var/log/guest-agent.log
  export XENSTORED_PATH=$XENSTORED_PATH
  $client version | features | password PW | injectfile PATH FILE
  $client resetnetwork --networking scripts/demo-networking.json
  $client --qga $qga guest-ping | guest-info | set-password USER PW
  echo agent:pairs | $dist/bin/guest-agent shell --root $root
  kill \$(cat $pidfile)      # stop it
EOF
