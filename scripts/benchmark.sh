#!/usr/bin/env bash
# Measures the built distribution against the XenStore simulator and prints one table, targets
# beside: the bare-JVM floor with the agent's JVM options (print-and-exit time; RSS, anonymous RSS,
# PSS, wake-ups and CPU of a sleeping JVM), first start (empty root) and warm start (same root
# again) to first answer (medians of 10), round-trip latency p50/p99 over 1,000 requests, time to
# drain 10,000 queued requests, RSS/anonymous/PSS idle and after, hot install into deploy/, idle
# wake-ups and CPU over 60 s (-Dbenchmark.idle.seconds), the first shell command after that idle
# time and a second one; then the QGA pair beside qemu-ga (when /usr/sbin/qemu-ga is installed):
# guest-ping p50/p99, pipelined pings/s, SIGTERM-to-exit under load, and the ratios
# (-Dbenchmark.parts=qga: that alone; -Dbenchmark.parts=start: the bare JVM and the first and warm
# starts alone, about 30 s). About 4 minutes.
# Usage: scripts/benchmark.sh [DISTRIBUTION_DIR]   (default launcher/target/guest-agent)
# Builds nothing: run `mvn -DskipTests package` (or scripts/demo.sh) first. Like scripts/install.sh,
# it makes the distribution's class data archive (bin/guest-agent --make-cds) before measuring.
# The numbers also go to benchmarks/latest.json (the previous run is kept as previous.json).
# BENCHMARK_JAVA_OPTS go to the benchmark's JVM: -Dbenchmark.details.dir=DIR saves where the
# agent's memory went (smaps, jcmd reports; run the agent with
# GUEST_AGENT_JAVA_OPTS=-XX:NativeMemoryTracking=summary for the native memory summary),
# -Dbenchmark.config="FILE:KEY=VALUE;..." runs the agent on a copy of its config folder with those
# lines added (e.g. a short shell idle time), -Dbenchmark.keep=true keeps the agents' run folders
# and logs. GUEST_AGENT_JAVA_OPTS go to the agent's JVM and the
# bare JVM alike.
set -euo pipefail
cd "$(dirname "$0")/.."
version=0.1.0
dist=${1:-launcher/target/guest-agent}
jars=(benchmarks/target/benchmarks-$version.jar
      bundles/xenstore-client/target/xenstore-client-$version.jar
      bundles/xenstore-simulator/target/xenstore-simulator-$version.jar)
for jar in "${jars[@]}" itests/sample-commands/target/sample-commands-$version.jar; do
  [ -f "$jar" ] || { echo "benchmark: $jar is missing; build first: mvn -DskipTests package" >&2; exit 66; }
done
# As installed: scripts/install.sh makes the class data archive of the distribution; so does this.
"$dist/bin/guest-agent" --make-cds >&2 || echo "benchmark: measuring without a class data archive" >&2
mkdir -p benchmarks
[ -f benchmarks/latest.json ] && cp benchmarks/latest.json benchmarks/previous.json
classpath=$(IFS=:; echo "${jars[*]}")
exec java -XX:+UseSerialGC ${BENCHMARK_JAVA_OPTS:-} -Dbenchmark.sample.jar=itests/sample-commands/target/sample-commands-$version.jar \
  -cp "$classpath" org.guestagent.benchmark.AgentBenchmark "$dist" benchmarks/latest.json
