#!/usr/bin/env bash
# Builds the agent and runs it on its embedded default: the XenStore simulator in the agent's own
# container, and a scratch root (scratch/demo/root) so nothing touches the real /etc. Then plays
# the host once (version, features, a password change) so you see it answer.
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

echo "== starting the agent (features guest-agent-core,guest-agent-xen,guest-agent-shell,guest-agent-dev)"
"$dist/bin/guest-agent" --root "$root" --features guest-agent-core,guest-agent-xen,guest-agent-shell,guest-agent-dev

export XENSTORED_PATH=$root/run/guest-agent/xenstored.sock
client=$dist/bin/guest-agent-client
echo "== the host asks: version";   "$client" version
echo "== the host asks: features";  "$client" features
echo "== the host sets the root password"; "$client" password 'demo-Passw0rd'
echo "   root's entry in $root/etc/shadow is now:"
grep '^root:' "$root/etc/shadow" | cut -c1-40 | sed 's/$/.../; s/^/   /'

cat <<EOF

The agent is running (pid $(cat "$pidfile")), log: $root/var/log/guest-agent.log
  export XENSTORED_PATH=$XENSTORED_PATH
  $client version | features | password PW | injectfile PATH FILE
  $client resetnetwork --networking scripts/demo-networking.json
  echo agent:commands | $dist/bin/guest-agent shell --root $root
  kill \$(cat $pidfile)      # stop it
EOF
