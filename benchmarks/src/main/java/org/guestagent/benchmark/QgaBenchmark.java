package org.guestagent.benchmark;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * The QGA pair beside qemu-ga, in the same run and the same way: each listens on a unix socket
 * ({@code qemu-ga -m unix-listen}; the agent with {@code --features guest-agent-core,guest-agent-kvm} and its exchange in
 * mode unix-listen), and a host sends {@code guest-ping} over one connection, one at a time
 * (round-trip p50/p99 of 5 x 2,000) and pipelined (a writer and a reader at once: answers per
 * second, median of 5 x 50,000), both servers in turns after a warm-up. Then
 * SIGTERM-to-exit times while a host pipelines pings. qemu-ga is measured only where it is
 * installed ({@value #QEMU_GA}).
 */
final class QgaBenchmark {
    static final String QEMU_GA = "/usr/sbin/qemu-ga";
    private static final byte[] PING = "{\"execute\":\"guest-ping\"}\n".getBytes(StandardCharsets.US_ASCII);
    private static final int WARMUP = 5_000;
    private static final int SEQUENTIAL = 2_000;
    private static final int PIPELINED = 50_000;
    private static final int ROUNDS = 5;
    private static final int SIGTERM_RUNS = 5;
    /** Longer than this after SIGTERM counts as hung (and is killed). */
    private static final long HUNG_MILLIS = 20_000;

    private final Path distribution;
    private final Path work;
    private final Map<String, Object> results;

    QgaBenchmark(Path distribution, Path work, Map<String, Object> results) {
        this.distribution = distribution;
        this.work = work;
        this.results = results;
    }

    static boolean qemuGaInstalled() {
        return Files.isExecutable(Path.of(QEMU_GA));
    }

    void run() throws Exception {
        Path config = agentConfig();
        Map<String, Starter> servers = new LinkedHashMap<>();
        servers.put("qga_agent", () -> agent(config, "agent"));
        if (qemuGaInstalled()) {
            servers.put("qemu_ga", () -> qemuGa("qemu-ga"));
        }
        speed(servers);
        for (Map.Entry<String, Starter> server : servers.entrySet()) {
            sigterm(server.getKey(), server.getValue());
        }
    }

    /** A process listening on a socket, started by a {@link Starter}. */
    private record Server(Process process, Path socket, Path log) {
    }

    @FunctionalInterface
    private interface Starter {
        Server start() throws Exception;
    }

    /**
     * Both servers run at once and are measured in turns (sequential, then pipelined, {@value #ROUNDS}
     * rounds), so that a machine whose load changes from minute to minute weighs on both alike.
     * Round trips of all rounds are pooled for p50/p99; throughput is the median of the rounds.
     */
    private void speed(Map<String, Starter> starters) throws Exception {
        Map<String, Server> servers = new LinkedHashMap<>();
        Map<String, SocketChannel> hosts = new LinkedHashMap<>();
        Map<String, double[]> micros = new LinkedHashMap<>();
        Map<String, double[]> rates = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, Starter> starter : starters.entrySet()) {
                Server server = starter.getValue().start();
                servers.put(starter.getKey(), server);
                SocketChannel host = connect(server.socket);
                hosts.put(starter.getKey(), host);
                ByteBuffer in = ByteBuffer.allocate(1 << 16);
                for (int i = 0; i < WARMUP; i++) {
                    roundTripNanos(host, in);
                }
                pipelined(host, PIPELINED / 5); // warm the pipelined path too
                micros.put(starter.getKey(), new double[SEQUENTIAL * ROUNDS]);
                rates.put(starter.getKey(), new double[ROUNDS]);
            }
            for (int round = 0; round < ROUNDS; round++) {
                for (String name : servers.keySet()) {
                    SocketChannel host = hosts.get(name);
                    ByteBuffer in = ByteBuffer.allocate(1 << 16);
                    for (int i = 0; i < SEQUENTIAL; i++) {
                        micros.get(name)[round * SEQUENTIAL + i] = roundTripNanos(host, in) / 1e3;
                    }
                    rates.get(name)[round] = pipelined(host, PIPELINED);
                }
            }
        } finally {
            for (SocketChannel host : hosts.values()) {
                host.close();
            }
            for (Server server : servers.values()) {
                stop(server);
            }
        }
        for (String name : micros.keySet()) {
            double[] m = micros.get(name);
            Arrays.sort(m);
            results.put(name + "_ping_p50_us", m[m.length / 2]);
            results.put(name + "_ping_p99_us", m[m.length * 99 / 100]);
            double[] r = rates.get(name);
            Arrays.sort(r);
            results.put(name + "_pings_per_s", r[ROUNDS / 2]);
        }
    }

    private void sigterm(String name, Starter starter) throws Exception {
        List<Double> exits = new ArrayList<>();
        int hung = 0;
        for (int i = 0; i < SIGTERM_RUNS; i++) {
            Server s = starter.start();
            double millis = sigtermUnderLoadMillis(s);
            if (millis < 0) {
                hung++;
            } else {
                exits.add(millis);
            }
        }
        exits.sort(null);
        results.put(name + "_sigterm_exit_median_ms", exits.isEmpty() ? Double.NaN : exits.get(exits.size() / 2));
        results.put(name + "_sigterm_exit_max_ms", exits.isEmpty() ? Double.NaN : exits.get(exits.size() - 1));
        results.put(name + "_sigterm_hung", (double) hung);
    }

    private static long roundTripNanos(SocketChannel host, ByteBuffer in) throws IOException {
        long started = System.nanoTime();
        host.write(ByteBuffer.wrap(PING));
        readLines(host, in, 1);
        return System.nanoTime() - started;
    }

    /** Reads until {@code count} newlines have arrived; what a read brings beyond them is not expected here. */
    private static void readLines(SocketChannel host, ByteBuffer in, long count) throws IOException {
        long seen = 0;
        while (seen < count) {
            in.clear();
            int n = host.read(in);
            if (n < 0) {
                throw new IOException("the server closed the connection");
            }
            for (int i = 0; i < n; i++) {
                if (in.get(i) == '\n') {
                    seen++;
                }
            }
        }
    }

    /** Pings written by one thread while this one reads the answers: answers per second. */
    private static double pipelined(SocketChannel host, int count) throws Exception {
        AtomicLong failure = new AtomicLong();
        byte[] batch = new byte[PING.length * 100];
        for (int i = 0; i < 100; i++) {
            System.arraycopy(PING, 0, batch, i * PING.length, PING.length);
        }
        long started = System.nanoTime();
        Thread writer = new Thread(() -> {
            try {
                for (int sent = 0; sent < count; sent += 100) {
                    ByteBuffer b = ByteBuffer.wrap(batch);
                    while (b.hasRemaining()) {
                        host.write(b);
                    }
                }
            } catch (IOException e) {
                failure.set(1);
            }
        }, "qga-bench-writer");
        writer.start();
        readLines(host, ByteBuffer.allocate(1 << 16), count);
        double seconds = (System.nanoTime() - started) / 1e9;
        writer.join();
        if (failure.get() != 0) {
            throw new IOException("writing pipelined pings failed");
        }
        return count / seconds;
    }

    /** SIGTERM while a host pipelines pings; milliseconds to the exit, or -1 when it hung (then killed). */
    private double sigtermUnderLoadMillis(Server server) throws Exception {
        SocketChannel host = connect(server.socket);
        Thread load = new Thread(() -> {
            try {
                pipelined(host, Integer.MAX_VALUE / 2);
            } catch (Exception e) {
                // ends with the server
            }
        }, "qga-bench-load");
        load.setDaemon(true);
        load.start();
        Thread.sleep(300);
        long started = System.nanoTime();
        server.process.destroy();
        boolean ended = server.process.waitFor(HUNG_MILLIS, TimeUnit.MILLISECONDS);
        double millis = (System.nanoTime() - started) / 1e6;
        host.close();
        if (!ended) {
            server.process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            return -1;
        }
        return millis;
    }

    private static void stop(Server server) throws InterruptedException {
        server.process.destroy();
        if (!server.process.waitFor(HUNG_MILLIS, TimeUnit.MILLISECONDS)) {
            server.process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private int starts;

    private Server agent(Path config, String prefix) throws Exception {
        Path dir = Files.createDirectories(work.resolve(prefix + "-" + (++starts)));
        Path root = Files.createDirectories(dir.resolve("root"));
        Path socket = work.resolve("qga.sock");
        Files.deleteIfExists(socket);
        Path log = dir.resolve("agent.log");
        List<String> command = new ArrayList<>(List.of(distribution.resolve("bin/guest-agent").toString(), "--foreground",
                "--root", root.toString(), "--config", config.toString(), "--features", "guest-agent-core,guest-agent-kvm", "--logfile", log.toString()));
        String level = System.getProperty("benchmark.qga.log.level");
        if (level != null) {
            command.addAll(List.of("--log-level", level)); // to see what the log line of every request costs
        }
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("console.txt").toFile()).start();
        return awaitListening(new Server(p, socket, log));
    }

    private Server qemuGa(String prefix) throws Exception {
        Path dir = Files.createDirectories(work.resolve(prefix + "-" + (++starts)));
        Path socket = work.resolve("qemu-ga.sock");
        Files.deleteIfExists(socket);
        Path log = dir.resolve("qemu-ga.log");
        Process p = new ProcessBuilder(QEMU_GA, "-m", "unix-listen", "-p", socket.toString(), "-t", dir.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        return awaitListening(new Server(p, socket, log));
    }

    /** Waits until a guest-ping over the socket is answered (bind comes before listen, so the file alone says little). */
    private static Server awaitListening(Server server) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline && server.process.isAlive()) {
            if (Files.exists(server.socket)) {
                try (SocketChannel host = connect(server.socket)) {
                    roundTripNanos(host, ByteBuffer.allocate(1 << 16));
                    return server;
                } catch (IOException e) {
                    // not listening yet
                }
            }
            Thread.sleep(20);
        }
        server.process.destroyForcibly();
        throw new IllegalStateException("no guest-ping answered on " + server.socket + "; see " + server.log);
    }

    private static SocketChannel connect(Path socket) throws IOException {
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        channel.connect(UnixDomainSocketAddress.of(socket));
        return channel;
    }

    /** The distribution's configuration with the QGA exchange listening on work/qga.sock. */
    private Path agentConfig() throws IOException {
        Path config = Files.createDirectories(work.resolve("qga-config"));
        try (Stream<Path> files = Files.list(distribution.resolve("config"))) {
            for (Path file : files.toList()) {
                Files.copy(file, config.resolve(file.getFileName()));
            }
        }
        Path exchange = config.resolve("org.guestagent.exchange.virtioserial.cfg");
        List<String> lines = Files.readAllLines(exchange).stream()
                .map(l -> l.startsWith("mode") ? "mode = unix-listen" : l.startsWith("path") ? "path = " + work.resolve("qga.sock") : l)
                .toList();
        Files.write(exchange, lines);
        return config;
    }

    /** The rows of the printed table: label, key, target. */
    static Map<String, String[]> rows(boolean withQemuGa) {
        Map<String, String[]> rows = new LinkedHashMap<>();
        rows.put("qga_agent_ping_p50_us", new String[] {"QGA guest-ping p50 (us)", ""});
        rows.put("qga_agent_ping_p99_us", new String[] {"QGA guest-ping p99 (us)", ""});
        rows.put("qga_agent_pings_per_s", new String[] {"QGA pipelined pings/s", ""});
        rows.put("qga_agent_sigterm_exit_median_ms", new String[] {"QGA SIGTERM to exit median (ms)", "<= 2000"});
        rows.put("qga_agent_sigterm_exit_max_ms", new String[] {"QGA SIGTERM to exit max (ms)", "<= 2000"});
        rows.put("qga_agent_sigterm_hung", new String[] {"QGA runs hung after SIGTERM", "<= 0"});
        if (withQemuGa) {
            rows.put("qemu_ga_ping_p50_us", new String[] {"qemu-ga guest-ping p50 (us)", ""});
            rows.put("qemu_ga_ping_p99_us", new String[] {"qemu-ga guest-ping p99 (us)", ""});
            rows.put("qemu_ga_pings_per_s", new String[] {"qemu-ga pipelined pings/s", ""});
            rows.put("qemu_ga_sigterm_exit_median_ms", new String[] {"qemu-ga SIGTERM to exit median (ms)", ""});
            rows.put("qemu_ga_sigterm_exit_max_ms", new String[] {"qemu-ga SIGTERM to exit max (ms)", ""});
            rows.put("qemu_ga_sigterm_hung", new String[] {"qemu-ga runs hung after SIGTERM", ""});
            rows.put("qga_p50_ratio", new String[] {"p50 agent / qemu-ga", "<= 2"});
            rows.put("qga_throughput_ratio", new String[] {"throughput agent / qemu-ga", ">= 1"});
        }
        return rows;
    }

    /** The ratios, once both were measured. */
    void ratios() {
        if (results.containsKey("qemu_ga_ping_p50_us")) {
            results.put("qga_p50_ratio", (Double) results.get("qga_agent_ping_p50_us") / (Double) results.get("qemu_ga_ping_p50_us"));
            results.put("qga_throughput_ratio", (Double) results.get("qga_agent_pings_per_s") / (Double) results.get("qemu_ga_pings_per_s"));
        }
    }
}
