package org.guestagent.benchmark;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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
 * (or {@code xen}) measures one part only.
 */
public final class AgentBenchmark {
    private static final int GUEST = 1;
    private static final String DATA = "/local/domain/" + GUEST + "/data";
    private static final int STARTS = 10;
    private static final int SEQUENTIAL = 1_000;
    private static final int QUEUED = 10_000;

    private final Path distribution;
    private final Path work;
    private final Map<String, Object> results = new LinkedHashMap<>();
    private XenStoreSimulator simulator;
    private XenStoreClient host;
    private Path guestSocket;

    private AgentBenchmark(Path distribution, Path work) {
        this.distribution = distribution;
        this.work = work;
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
        AgentBenchmark bench = new AgentBenchmark(distribution, work);
        try {
            bench.run();
        } finally {
            bench.close();
            deleteTree(work);
        }
        bench.print(Path.of(args[1]));
        System.exit(0);
    }

    private void run() throws Exception {
        List<String> parts = List.of(System.getProperty("benchmark.parts", "xen,qga").split(","));
        if (parts.contains("xen")) {
            runXen();
        }
        if (parts.contains("qga")) {
            QgaBenchmark qga = new QgaBenchmark(distribution, work, results);
            qga.run();
            qga.ratios();
        }
    }

    private void runXen() throws Exception {
        guestSocket = work.resolve("xenstored.sock");
        // The drain queues 10,000 requests at once, 10,000 nodes of the guest: a host that does
        // this runs xenstored with a raised quota (--entry-nb). The agent keeps its default share
        // for answers, and removes the oldest ones; the drain counts answers as they appear.
        simulator = new XenStoreSimulator().nodeQuota(4 * QUEUED);
        simulator.start(guestSocket);
        simulator.listen(work.resolve("dom0.sock"), 0);
        host = XenStoreClient.open(XenStoreTransport.unixSocket(work.resolve("dom0.sock")));

        List<Double> starts = new ArrayList<>();
        for (int i = 0; i < STARTS; i++) {
            AgentProcess agent = AgentProcess.start(distribution, work.resolve("run" + i), guestSocket);
            try {
                starts.add(firstAnswerMillis(agent));
            } finally {
                if (i < STARTS - 1) {
                    agent.stop();
                } else {
                    measureRunning(agent);
                    agent.stop();
                }
            }
        }
        results.put("cold_start_ms_median", median(starts));
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

    private void measureRunning(AgentProcess agent) throws Exception {
        Thread.sleep(2_000);
        Memory idle = Memory.of(agent.pid());
        saveDetails(agent.pid(), "idle");
        results.put("rss_idle_mib", idle.rssMiB());
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
        Memory busy = Memory.of(agent.pid());
        saveDetails(agent.pid(), "after");
        results.put("rss_after_10000_mib", busy.rssMiB());
        results.put("pss_after_10000_mib", busy.pssMiB());

        results.put("hot_install_ms", hotInstallMillis(agent));
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
        table.append(String.format("%-36s %12s %12s%n", "measure", "value", "target"));
        row(table, "cold start to first answer (ms)", "cold_start_ms_median", "<= 500");
        row(table, "latency p50 (ms)", "latency_p50_ms", "<= 2");
        row(table, "latency p99 (ms)", "latency_p99_ms", "<= 10");
        row(table, "drain 10,000 requests (s)", "drain_10000_s", "");
        row(table, "throughput (requests/s)", "requests_per_s", ">= 2000");
        row(table, "RSS idle (MiB)", "rss_idle_mib", "");
        row(table, "PSS idle (MiB)", "pss_idle_mib", "");
        row(table, "RSS after 10,000 (MiB)", "rss_after_10000_mib", "<= 48");
        row(table, "PSS after 10,000 (MiB)", "pss_after_10000_mib", "");
        row(table, "hot install to features (ms)", "hot_install_ms", "<= 1000");
        if (results.containsKey("qga_agent_ping_p50_us")) {
            QgaBenchmark.rows(results.containsKey("qemu_ga_ping_p50_us")).forEach((key, row) -> row(table, row[0], key, row[1]));
            if (!results.containsKey("qemu_ga_ping_p50_us")) {
                table.append("qemu-ga not installed (" + QgaBenchmark.QEMU_GA + "): no side-by-side numbers\n");
            }
        }
        System.out.print(table);
        StringBuilder out = new StringBuilder("{\n");
        results.forEach((k, v) -> out.append(String.format(Locale.ROOT, "  \"%s\": %.3f,%n", k, ((Number) v).doubleValue())));
        out.append(String.format("  \"cores\": %d%n}%n", Runtime.getRuntime().availableProcessors()));
        Files.createDirectories(json.toAbsolutePath().getParent());
        Files.writeString(json, out.toString());
        System.out.println("written: " + json);
    }

    private void row(StringBuilder table, String label, String key, String target) {
        Object value = results.get(key);
        table.append(String.format(Locale.ROOT, "%-36s %12.2f %12s%n", label,
                value == null ? Double.NaN : ((Number) value).doubleValue(), target));
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
     * A full GC (the class histogram) comes last, so that it does not change the numbers measured.
     */
    private static void saveDetails(long pid, String when) throws IOException, InterruptedException {
        String dir = System.getProperty("benchmark.details.dir");
        if (dir == null) {
            return;
        }
        Path out = Files.createDirectories(Path.of(dir));
        Files.copy(Path.of("/proc/" + pid + "/smaps"), out.resolve(when + ".smaps"), StandardCopyOption.REPLACE_EXISTING);
        String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        for (String command : List.of("GC.heap_info", "Thread.print", "VM.metaspace", "GC.class_histogram")) {
            new ProcessBuilder(jcmd, Long.toString(pid), command).redirectErrorStream(true)
                    .redirectOutput(out.resolve(when + "." + command).toFile()).start().waitFor();
        }
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

    /** Resident and proportional set size of a process, from /proc. */
    record Memory(double rssMiB, double pssMiB) {
        static Memory of(long pid) throws IOException {
            long rss = 0;
            long pss = 0;
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/smaps_rollup"), StandardCharsets.UTF_8)) {
                String[] parts = line.trim().split("\\s+");
                if (parts[0].equals("Rss:")) {
                    rss = Long.parseLong(parts[1]);
                } else if (parts[0].equals("Pss:")) {
                    pss = Long.parseLong(parts[1]);
                }
            }
            return new Memory(rss / 1024.0, pss / 1024.0);
        }
    }
}
