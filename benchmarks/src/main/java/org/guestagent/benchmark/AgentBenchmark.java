package org.guestagent.benchmark;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.guestagent.xenstore.XenStoreClient;
import org.guestagent.xenstore.XenStoreTransport;
import org.guestagent.xenstore.simulator.XenStoreSimulator;

/**
 * Measures the distribution as shipped, against the XenStore simulator, the way a host sees it:
 * cold start to first answer, round-trip latency, drain rate, memory, and hot install; then the QGA
 * pair beside qemu-ga where it is installed ({@link QgaBenchmark}). Prints one table and writes the
 * numbers as JSON. Builds nothing: run it after {@code mvn package}. {@code -Dbenchmark.parts=qga}
 * (or {@code xen}) measures one part only; {@code start} the start-up rows alone (bare JVM, first and
 * warm start, about 30 s).
 */
public final class AgentBenchmark {
    private static final int GUEST = 1;
    private static final String DATA = "/local/domain/" + GUEST + "/data";
    private static final int STARTS = 10;
    private static final int SEQUENTIAL = 1_000;
    private static final int QUEUED = 10_000;
    /** How long the agent is left alone to count its wake-ups and CPU time (-Dbenchmark.idle.seconds). */
    private static final int IDLE_SECONDS = Integer.getInteger("benchmark.idle.seconds", 60);

    private final Path distribution;
    private final Path work;
    private final BareJvm.Runner bareJvm;
    private final Map<String, Object> results = new LinkedHashMap<>();
    /** Who woke while idle: switches per thread name, the busiest first. */
    private String idleWakers = "";
    private XenStoreSimulator simulator;
    private XenStoreClient host;
    private Path guestSocket;

    private AgentBenchmark(Path distribution, Path work, BareJvm.Runner bareJvm) {
        this.distribution = distribution;
        this.work = work;
        this.bareJvm = bareJvm;
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: AgentBenchmark DISTRIBUTION_DIR JSON_OUT");
            System.exit(64);
        }
        Path distribution = Path.of(args[0]).toAbsolutePath();
        if (!Files.isExecutable(distribution.resolve("bin/guest-agent"))) {
            System.err.println("No distribution at " + distribution + ": run mvn package first");
            System.exit(66);
        }
        Path work = Files.createTempDirectory("guest-agent-bench");
        AgentBenchmark bench = new AgentBenchmark(distribution, work, BareJvm.Runner.of(distribution));
        try {
            bench.run();
        } finally {
            bench.close();
            if (Boolean.getBoolean("benchmark.keep")) {
                System.err.println("benchmark: the agents' folders and logs are kept in " + work);
            } else {
                deleteTree(work);
            }
        }
        bench.print(Path.of(args[1]));
        System.exit(0);
    }

    private void run() throws Exception {
        List<String> parts = List.of(System.getProperty("benchmark.parts", "xen,qga").split(","));
        if (parts.contains("xen") || parts.contains("start")) {
            runXen(parts.contains("xen"));
        }
        if (parts.contains("qga")) {
            QgaBenchmark qga = new QgaBenchmark(distribution, work, results);
            qga.run();
            qga.ratios();
        }
    }

    /** {@code all}: everything of the Xen pair; else the start-up rows alone (-Dbenchmark.parts=start). */
    private void runXen(boolean all) throws Exception {
        guestSocket = work.resolve("xenstored.sock");
        // The drain queues 10,000 requests at once, 10,000 nodes of the guest: a host that does
        // this runs xenstored with a raised quota (--entry-nb). The agent keeps its default share
        // for answers, and removes the oldest ones; the drain counts answers as they appear.
        simulator = new XenStoreSimulator().nodeQuota(4 * QUEUED);
        simulator.start(guestSocket);
        simulator.listen(work.resolve("dom0.sock"), 0);
        host = XenStoreClient.open(XenStoreTransport.unixSocket(work.resolve("dom0.sock")));
        Path configDir = configCopy();

        // Interleaved, so that the machine's drift hits the floor and the agent alike: the bare
        // JVM printing a line, a first start on an empty root, and a warm start on the same root
        // (whatever the agent keeps between starts, e.g. its bundle cache, is there).
        List<Double> bare = new ArrayList<>();
        List<Double> firsts = new ArrayList<>();
        List<Double> warms = new ArrayList<>();
        AgentProcess running = null;
        for (int i = 0; i < STARTS; i++) {
            bare.add(bareJvm.printMillis());
            AgentProcess agent = AgentProcess.start(distribution, work.resolve("run" + i), guestSocket, configDir);
            try {
                firsts.add(firstAnswerMillis(agent));
            } finally {
                agent.stop();
            }
            try {
                warms.add(firstAnswerMillis(agent));
            } finally {
                if (i < STARTS - 1) {
                    agent.stop();
                } else {
                    running = agent;
                }
            }
        }
        results.put("bare_jvm_print_ms_median", median(bare));
        results.put("cold_start_ms_median", median(firsts));
        results.put("warm_start_ms_median", median(warms));
        results.put("cold_start_x_bare", median(firsts) / median(bare));
        results.put("warm_start_x_bare", median(warms) / median(bare));
        if (!all) {
            running.stop();
            return;
        }
        Process sleeper = bareJvm.startSleeping();
        try {
            measureRunning(running, sleeper.pid());
        } finally {
            running.stop();
            sleeper.destroy();
            sleeper.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /**
     * With -Dbenchmark.config="FILE:KEY=VALUE;..." the agent runs on a copy of the distribution's
     * config folder with those lines added (e.g. a shorter shell idle time); else on the folder itself.
     */
    private Path configCopy() throws IOException {
        String settings = System.getProperty("benchmark.config", "").trim();
        if (settings.isEmpty()) {
            return null;
        }
        Path copy = Files.createDirectories(work.resolve("config"));
        try (Stream<Path> files = Files.list(distribution.resolve("config"))) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                Files.copy(file, copy.resolve(file.getFileName()));
            }
        }
        for (String setting : settings.split(";")) {
            int colon = setting.indexOf(':');
            if (colon < 1 || setting.indexOf('=', colon) < 0) {
                throw new IllegalArgumentException("benchmark.config: expected FILE:KEY=VALUE, got " + setting);
            }
            Path file = copy.resolve(setting.substring(0, colon).trim());
            Files.writeString(file, "\n" + setting.substring(colon + 1).trim() + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }
        return copy;
    }

    /** Cold start: the request waits in XenStore before the agent starts, as after a boot. */
    private double firstAnswerMillis(AgentProcess agent) throws Exception {
        String id = UUID.randomUUID().toString();
        Pending answered = new Pending(id);
        host.write(DATA + "/host/" + id, "{\"name\": \"version\", \"value\": \"agent\"}");
        long started = agent.launch();
        if (!answered.await(60)) {
            throw new IllegalStateException("the agent did not answer within 60 s; see " + agent.logFile());
        }
        double millis = (System.nanoTime() - started) / 1e6;
        host.rm(DATA + "/guest/" + id);
        return millis;
    }

    private void measureRunning(AgentProcess agent, long sleeperPid) throws Exception {
        Thread.sleep(2_000);
        ProcStats.Memory idle = ProcStats.Memory.of(agent.pid());
        ProcStats.Memory floor = ProcStats.Memory.of(sleeperPid);
        saveDetails(agent.pid(), "idle");
        results.put("bare_jvm_rss_mib", floor.rssMiB());
        results.put("bare_jvm_anon_mib", floor.anonMiB());
        results.put("bare_jvm_pss_mib", floor.pssMiB());
        results.put("rss_idle_mib", idle.rssMiB());
        results.put("anon_idle_mib", idle.anonMiB());
        results.put("pss_idle_mib", idle.pssMiB());

        double[] latencies = new double[SEQUENTIAL];
        for (int i = 0; i < SEQUENTIAL; i++) {
            latencies[i] = roundTripMillis("{\"name\": \"version\", \"value\": \"agent\"}");
        }
        Arrays.sort(latencies);
        results.put("latency_p50_ms", latencies[SEQUENTIAL / 2]);
        results.put("latency_p99_ms", latencies[SEQUENTIAL * 99 / 100]);

        double drainSeconds = drain();
        results.put("drain_10000_s", drainSeconds);
        results.put("requests_per_s", QUEUED / drainSeconds);
        ProcStats.Memory busy = ProcStats.Memory.of(agent.pid());
        saveDetails(agent.pid(), "after");
        results.put("rss_after_10000_mib", busy.rssMiB());
        results.put("anon_after_10000_mib", busy.anonMiB());
        results.put("pss_after_10000_mib", busy.pssMiB());
        results.put("rss_x_bare", busy.rssMiB() / floor.rssMiB());
        results.put("anon_x_bare", busy.anonMiB() / floor.anonMiB());

        results.put("hot_install_ms", hotInstallMillis(agent));

        // Idle: nothing asks the agent anything; the bare JVM sleeps beside it over the same time.
        Thread.sleep(5_000);
        ProcStats.Idle[] quiet = ProcStats.idleOf(new long[] {agent.pid(), sleeperPid}, IDLE_SECONDS * 1000L);
        results.put("idle_wakeups_per_s", quiet[0].wakeupsPerSecond());
        results.put("idle_cpu_percent", quiet[0].corePercent());
        results.put("bare_jvm_wakeups_per_s", quiet[1].wakeupsPerSecond());
        results.put("bare_jvm_cpu_percent", quiet[1].corePercent());
        idleWakers = "agent: " + quiet[0].busiest(8) + "; bare JVM: " + quiet[1].busiest(8);
        ProcStats.Memory rested = ProcStats.Memory.of(agent.pid());
        results.put("rss_end_idle_mib", rested.rssMiB());
        results.put("anon_end_idle_mib", rested.anonMiB());

        // The shell after that idle time: the first command (which may have to load the shell
        // again), then a second one for comparison.
        results.put("shell_first_ms", shellCommandMillis(agent, "agent:commands"));
        results.put("shell_second_ms", shellCommandMillis(agent, "agent:commands"));
    }

    /**
     * One command over the shell socket, as {@code bin/guest-agent shell -c} sends it (without
     * that client's own JVM start): connect, send, read the answer to its end. NaN (with a line
     * on stderr) if there is no shell socket or no complete answer within 60 s.
     */
    private double shellCommandMillis(AgentProcess agent, String command) throws Exception {
        Path socket = agent.shellSocket();
        if (!Files.exists(socket)) {
            System.err.println("benchmark: no shell socket at " + socket + "; shell not measured");
            return Double.NaN;
        }
        long started = System.nanoTime();
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            Thread watchdog = new Thread(() -> {
                try {
                    Thread.sleep(60_000);
                    channel.close();
                } catch (InterruptedException | IOException e) {
                    // answered in time, or closed anyway
                }
            }, "shell-watchdog");
            watchdog.setDaemon(true);
            watchdog.start();
            channel.write(ByteBuffer.wrap(("# batch\n" + command + "\n").getBytes(StandardCharsets.UTF_8)));
            channel.shutdownOutput();
            ByteBuffer buffer = ByteBuffer.allocate(8192);
            long received = 0;
            int n;
            while ((n = channel.read(buffer)) >= 0) {
                received += n;
                buffer.clear();
            }
            watchdog.interrupt();
            if (received == 0) {
                System.err.println("benchmark: the shell closed without an answer to " + command);
                return Double.NaN;
            }
        } catch (IOException e) {
            System.err.println("benchmark: shell command " + command + " failed: " + e);
            return Double.NaN;
        }
        return (System.nanoTime() - started) / 1e6;
    }

    private double roundTripMillis(String request) throws Exception {
        String id = UUID.randomUUID().toString();
        Pending answered = new Pending(id);
        long started = System.nanoTime();
        host.write(DATA + "/host/" + id, request);
        if (!answered.await(30)) {
            throw new IllegalStateException("no answer to " + id + " within 30 s");
        }
        double millis = (System.nanoTime() - started) / 1e6;
        host.rm(DATA + "/guest/" + id);
        return millis;
    }

    /** Writes 10,000 requests at once (in transactions of 500) and waits for every answer. */
    private double drain() throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < QUEUED; i++) {
            ids.add(String.format("%08d-%s", i, UUID.randomUUID()));
        }
        Map<String, Boolean> pending = new ConcurrentHashMap<>();
        ids.forEach(id -> pending.put(id, Boolean.TRUE));
        CountDownLatch all = new CountDownLatch(QUEUED);
        XenStoreClient.Watch watch = host.watch(DATA + "/guest", (path, token) -> {
            String id = path.substring(path.lastIndexOf('/') + 1);
            if (pending.remove(id) != null) {
                all.countDown();
            }
        });
        long started = System.nanoTime();
        for (int from = 0; from < QUEUED; from += 500) {
            List<String> batch = ids.subList(from, Math.min(QUEUED, from + 500));
            host.inTransaction(tx -> {
                for (String id : batch) {
                    tx.write(DATA + "/host/" + id, "{\"name\": \"version\", \"value\": \"agent\"}");
                }
                return null;
            });
        }
        if (!all.await(300, TimeUnit.SECONDS)) {
            throw new IllegalStateException(all.getCount() + " requests unanswered after 300 s");
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        host.unwatch(watch);
        host.rm(DATA + "/guest");
        return seconds;
    }

    /** From dropping the sample command bundle into deploy/ until features lists its command. */
    private double hotInstallMillis(AgentProcess agent) throws Exception {
        Path sample = Path.of(System.getProperty("benchmark.sample.jar"));
        Path target = agent.deployDir().resolve(sample.getFileName());
        long started = System.nanoTime();
        Files.copy(sample, agent.deployDir().resolve(".tmp-" + sample.getFileName()));
        Files.move(agent.deployDir().resolve(".tmp-" + sample.getFileName()), target, StandardCopyOption.ATOMIC_MOVE);
        try {
            long deadline = started + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline) {
                if (answerOf("{\"name\": \"features\", \"value\": \"\"}").contains("sample_hello")) {
                    return (System.nanoTime() - started) / 1e6;
                }
                Thread.sleep(10);
            }
            throw new IllegalStateException("sample_hello not listed 30 s after dropping it into deploy/");
        } finally {
            Files.deleteIfExists(target);
        }
    }

    private String answerOf(String request) throws Exception {
        String id = UUID.randomUUID().toString();
        Pending answered = new Pending(id);
        host.write(DATA + "/host/" + id, request);
        if (!answered.await(30)) {
            throw new IllegalStateException("no answer within 30 s");
        }
        String answer = host.readString(DATA + "/guest/" + id);
        host.rm(DATA + "/guest/" + id);
        return answer;
    }

    /** An answer awaited through a watch on data/guest/<id>. */
    private final class Pending {
        private final CountDownLatch latch = new CountDownLatch(1);
        private final XenStoreClient.Watch watch;

        Pending(String id) throws IOException {
            String path = DATA + "/guest/" + id;
            watch = host.watch(path, (changed, token) -> {
                try {
                    if (latch.getCount() > 0 && host.readIfExists(path).isPresent()) {
                        latch.countDown();
                    }
                } catch (IOException e) {
                    // the next event will tell
                }
            });
        }

        boolean await(long seconds) throws InterruptedException, IOException {
            try {
                return latch.await(seconds, TimeUnit.SECONDS);
            } finally {
                host.unwatch(watch);
            }
        }
    }

    private void print(Path json) throws IOException {
        StringBuilder table = new StringBuilder();
        table.append(String.format("%-40s %10s %10s  %s%n", "measure", "value", "target", "met"));
        row(table, "bare JVM: print a line and exit (ms)", "bare_jvm_print_ms_median", null, 0);
        row(table, "bare JVM: RSS sleeping (MiB)", "bare_jvm_rss_mib", null, 0);
        row(table, "bare JVM: anonymous RSS (MiB)", "bare_jvm_anon_mib", null, 0);
        row(table, "bare JVM: PSS (MiB)", "bare_jvm_pss_mib", null, 0);
        row(table, "bare JVM: idle wake-ups (/s)", "bare_jvm_wakeups_per_s", null, 0);
        row(table, "bare JVM: idle CPU (% of a core)", "bare_jvm_cpu_percent", null, 0);
        row(table, "first start to first answer (ms)", "cold_start_ms_median", null, 0);
        row(table, "  x bare JVM", "cold_start_x_bare", "<=", 4);
        row(table, "warm start to first answer (ms)", "warm_start_ms_median", null, 0);
        row(table, "  x bare JVM", "warm_start_x_bare", "<=", 2.5);
        row(table, "latency p50 (ms)", "latency_p50_ms", "<=", 2);
        row(table, "latency p99 (ms)", "latency_p99_ms", "<=", 10);
        row(table, "drain 10,000 requests (s)", "drain_10000_s", null, 0);
        row(table, "throughput (requests/s)", "requests_per_s", ">=", 2000);
        row(table, "RSS idle (MiB)", "rss_idle_mib", null, 0);
        row(table, "anonymous RSS idle (MiB)", "anon_idle_mib", null, 0);
        row(table, "PSS idle (MiB)", "pss_idle_mib", null, 0);
        row(table, "RSS after 10,000 (MiB)", "rss_after_10000_mib", "<=", 48);
        row(table, "anonymous RSS after 10,000 (MiB)", "anon_after_10000_mib", null, 0);
        row(table, "PSS after 10,000 (MiB)", "pss_after_10000_mib", null, 0);
        row(table, "RSS after / bare JVM", "rss_x_bare", null, 0);
        row(table, "anonymous after / bare JVM", "anon_x_bare", null, 0);
        row(table, "hot install to features (ms)", "hot_install_ms", "<=", 1000);
        row(table, "idle wake-ups (/s, " + IDLE_SECONDS + " s)", "idle_wakeups_per_s", "<=", 1);
        row(table, "idle CPU (% of a core, " + IDLE_SECONDS + " s)", "idle_cpu_percent", "<=", 0.05);
        row(table, "RSS at the end of the idle time (MiB)", "rss_end_idle_mib", null, 0);
        row(table, "anonymous RSS then (MiB)", "anon_end_idle_mib", null, 0);
        row(table, "first shell command after idle (ms)", "shell_first_ms", null, 0);
        row(table, "second shell command (ms)", "shell_second_ms", null, 0);
        if (results.containsKey("qga_agent_ping_p50_us")) {
            QgaBenchmark.rows(results.containsKey("qemu_ga_ping_p50_us")).forEach((key, row) -> {
                String[] target = row[1].split(" "); // "<= 2" or empty
                row(table, row[0], key, target.length == 2 ? target[0] : null, target.length == 2 ? Double.parseDouble(target[1]) : 0);
            });
            if (!results.containsKey("qemu_ga_ping_p50_us")) {
                table.append("qemu-ga not installed (" + QgaBenchmark.QEMU_GA + "): no side-by-side numbers\n");
            }
        }
        System.out.print(table);
        System.out.println("idle wake-ups in " + IDLE_SECONDS + " s by thread: " + idleWakers);
        System.out.println("JVM options (agent and bare JVM): " + String.join(" ", bareJvm.options()));
        StringBuilder out = new StringBuilder("{\n");
        results.forEach((k, v) -> {
            double d = ((Number) v).doubleValue();
            out.append(String.format(Locale.ROOT, "  \"%s\": %s,%n", k, Double.isFinite(d) ? String.format(Locale.ROOT, "%.3f", d) : "null"));
        });
        out.append(String.format("  \"jvm_options\": \"%s\",%n", String.join(" ", bareJvm.options()).replace("\\", "\\\\").replace("\"", "\\\"")));
        out.append(String.format("  \"cores\": %d%n}%n", Runtime.getRuntime().availableProcessors()));
        Files.createDirectories(json.toAbsolutePath().getParent());
        Files.writeString(json, out.toString());
        System.out.println("written: " + json);
    }

    /** One line: the value, and with a target ("<=" or ">=" a limit) whether it is met. */
    private void row(StringBuilder table, String label, String key, String comparison, double limit) {
        Object value = results.get(key);
        if (value == null) {
            return; // a part not measured in this run (-Dbenchmark.parts)
        }
        double d = ((Number) value).doubleValue();
        String target = comparison == null ? "" : comparison + " " + new java.math.BigDecimal(Double.toString(limit)).stripTrailingZeros().toPlainString();
        String met = "";
        if (comparison != null && Double.isFinite(d)) {
            met = (comparison.equals("<=") ? d <= limit : d >= limit) ? "yes" : "NO";
        }
        table.append(String.format(Locale.ROOT, "%-40s %10.2f %10s  %s%n", label, d, target, met));
    }

    private void close() {
        if (host != null) {
            host.close();
        }
        if (simulator != null) {
            simulator.stop();
        }
    }

    /**
     * With -Dbenchmark.details.dir (BENCHMARK_JAVA_OPTS of scripts/benchmark.sh): where the memory
     * went, for a closer look: the agent's /proc smaps, and jcmd's heap, thread and class reports.
     * A full GC (the class histogram) and a trim of the malloc heap (then smaps again) come last, so
     * that they do not change the numbers measured.
     */
    private static void saveDetails(long pid, String when) throws IOException, InterruptedException {
        String dir = System.getProperty("benchmark.details.dir");
        if (dir == null) {
            return;
        }
        Path out = Files.createDirectories(Path.of(dir));
        Files.copy(Path.of("/proc/" + pid + "/smaps"), out.resolve(when + ".smaps"), StandardCopyOption.REPLACE_EXISTING);
        String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        // VM.native_memory answers only when the agent runs with -XX:NativeMemoryTracking=summary
        // (GUEST_AGENT_JAVA_OPTS); otherwise its file says that tracking is off.
        for (String command : List.of("GC.heap_info", "Thread.print", "VM.metaspace", "VM.native_memory summary", "GC.class_histogram")) {
            List<String> call = new ArrayList<>(List.of(jcmd, Long.toString(pid)));
            call.addAll(List.of(command.split(" ")));
            new ProcessBuilder(call).redirectErrorStream(true)
                    .redirectOutput(out.resolve(when + "." + command.replace(' ', '-')).toFile()).start().waitFor();
        }
        // How much of the malloc heap is free memory glibc keeps: smaps again after one trim.
        new ProcessBuilder(jcmd, Long.toString(pid), "System.trim_native_heap").redirectErrorStream(true)
                .redirectOutput(out.resolve(when + ".System.trim_native_heap").toFile()).start().waitFor();
        Files.copy(Path.of("/proc/" + pid + "/smaps"), out.resolve(when + ".trimmed.smaps"), StandardCopyOption.REPLACE_EXISTING);
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(null);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted((a, b) -> b.compareTo(a)).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
