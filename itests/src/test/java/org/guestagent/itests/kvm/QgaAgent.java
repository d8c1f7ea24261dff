package org.guestagent.itests.kvm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import org.guestagent.itests.robustness.AgentRun;
import org.guestagent.itests.support.AgentBundles;
import org.guestagent.itests.support.Await;

/**
 * A private copy of the distribution whose QGA pair listens on a unix socket (mode unix-listen),
 * run in the foreground with the given features, and the host's way to reach it.
 */
final class QgaAgent implements AutoCloseable {
    static final String EXCHANGE_PID = "org.guestagent.exchange.virtioserial";
    private static final AtomicLong SYNC_IDS = new AtomicLong(System.nanoTime() % 1_000_000);

    private final AgentRun run;
    private final Path socket;

    private QgaAgent(AgentRun run, Path socket) {
        this.run = run;
        this.socket = socket;
    }

    /** Copies the distribution into a scratch folder and points its QGA exchange at {@code <scratch>/qga.sock}. */
    static QgaAgent prepare(String scratchPrefix) throws IOException {
        Path scratch = AgentBundles.scratch(scratchPrefix);
        AgentRun run = AgentRun.copyInto(scratch);
        Path socket = scratch.resolve("qga.sock");
        run.configure(EXCHANGE_PID, "mode", "unix-listen");
        run.configure(EXCHANGE_PID, "path", socket.toString());
        return new QgaAgent(run, socket);
    }

    AgentRun run() {
        return run;
    }

    Path socket() {
        return socket;
    }

    long pid() {
        return run.process().pid();
    }

    /** Starts the agent with the features (XenStore through XENSTORED_PATH when given) and waits until the QGA pair answers. */
    Process start(String features, Path xenstoreSocket) throws Exception {
        Files.deleteIfExists(socket);
        Process process = run.start(features, xenstoreSocket);
        Await.until("the agent's QGA pair answers guest-sync on " + socket + "\n" + run.diagnostics(), Duration.ofSeconds(90),
                () -> process.isAlive() && syncs());
        return process;
    }

    /** A new host connection: guest-sync with a fresh id answered with that id (each QgaHost waits at most 30 s). */
    boolean syncs() throws Exception {
        try (QgaHost host = new QgaHost(socket)) {
            long id = SYNC_IDS.incrementAndGet();
            host.write("{\"execute\":\"guest-sync\",\"arguments\":{\"id\":" + id + "}}\n");
            byte[] line = host.answer();
            return line != null && new String(line, StandardCharsets.UTF_8).equals("{\"return\":" + id + "}\n");
        }
    }

    /** User plus system CPU time of the agent's process so far, in seconds (from /proc/PID/stat). */
    double cpuSeconds() throws IOException {
        return ProcCpu.seconds(pid());
    }

    @Override
    public void close() throws Exception {
        run.close();
    }

    /** CPU time of a process from /proc/PID/stat (utime + stime, in clock ticks). */
    static final class ProcCpu {
        private static double ticksPerSecond;

        static synchronized double seconds(long pid) throws IOException {
            if (ticksPerSecond == 0) {
                ticksPerSecond = clockTicks();
            }
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            // fields after the command name in parentheses: state is field 3, utime 14, stime 15
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / ticksPerSecond;
        }

        private static double clockTicks() throws IOException {
            try {
                Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
                p.waitFor();
                return Double.parseDouble(out);
            } catch (InterruptedException | NumberFormatException e) {
                return 100; // Linux's USER_HZ nearly everywhere
            }
        }
    }
}
