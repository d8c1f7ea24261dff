#!/usr/bin/env bash
# Measures the built distribution against the XenStore simulator and prints one table:
# cold start to first answer (median of 10), round-trip latency p50/p99 over 1,000 requests,
# time to drain 10,000 queued requests, RSS/PSS idle and after, hot install into deploy/; then the
# QGA pair beside qemu-ga (when /usr/sbin/qemu-ga is installed) in the same run: guest-ping p50/p99,
# pipelined pings/s, SIGTERM-to-exit under load, and the ratios (-Dbenchmark.parts=qga: that alone).
# Builds nothing: run `mvn -DskipTests package` (or scripts/demo.sh) first. Like scripts/install.sh,
# it makes the distribution's class data archive (bin/guest-agent --make-cds) before measuring.
# The numbers also go to benchmarks/latest.json (the previous run is kept as previous.json).
# BENCHMARK_JAVA_OPTS go to the benchmark's JVM: -Dbenchmark.details.dir=DIR saves where the
# agent's memory went (smaps, jcmd reports); GUEST_AGENT_JAVA_OPTS go to the agent's, as always.
set -euo pipefail
cd "$(dirname "$0")/.."
version=0.1.0
dist=launcher/target/guest-agent
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
