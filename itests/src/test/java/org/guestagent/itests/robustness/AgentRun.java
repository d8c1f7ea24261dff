package org.guestagent.itests.robustness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.guestagent.itests.support.Distribution;

/**
 * A private copy of the built distribution (launcher/target/guest-agent), run in the foreground
 * with {@code --features guest-agent-core,guest-agent-xen} on a scratch root and pointed at a XenStore socket through
 * XENSTORED_PATH, as the host's xenstored would be found on a guest. The copy keeps its root,
 * config and update state across {@link #start}s, so a restarted agent finds what the last one left.
 */
public final class AgentRun implements AutoCloseable {
    /** Longest wait for the agent to exit after SIGTERM or a kill. */
    public static final Duration EXIT_LIMIT = Duration.ofSeconds(40);

    private final Path dir;
    private final Path home;
    private final Path root;
    private Process process;
    private int starts;
    private String javaOptions;

    private AgentRun(Path dir, Path home, Path root) {
        this.dir = dir;
        this.home = home;
        this.root = root;
    }

    /** Copies the distribution into {@code dir/guest-agent} and makes an empty root beside it. */
    public static AgentRun copyInto(Path dir) throws IOException {
        Path home = Distribution.copyInto(dir);
        return new AgentRun(dir, home, Files.createDirectories(dir.resolve("root")));
    }

    public Path home() {
        return home;
    }

    public Path root() {
        return root;
    }

    public Path pidFile() {
        return dir.resolve("agent.pid");
    }

    public Path logFile() {
        return dir.resolve("agent.log");
    }

    /** The XenStore exchange's configuration (answer housekeeping, quota). */
    public static final String EXCHANGE_PID = "org.guestagent.exchange.xenstore";

    /** Sets one key of a configuration file of the copy (config/&lt;pid&gt;.cfg). */
    public void configure(String pid, String key, String value) throws IOException {
        Path file = home.resolve("config").resolve(pid + ".cfg");
        List<String> lines = Files.readAllLines(file).stream()
                .map(line -> line.startsWith(key + "=") || line.startsWith(key + " =") ? key + "=" + value : line)
                .toList();
        if (lines.stream().noneMatch(line -> line.equals(key + "=" + value))) {
            throw new IllegalArgumentException("no key " + key + " in " + file);
        }
        Files.write(file, lines);
    }

    /** GUEST_AGENT_JAVA_OPTS of the next starts (extra JVM options), or null for none. */
    public void javaOptions(String options) {
        this.javaOptions = options;
    }

    /** Starts bin/guest-agent --foreground (which execs the JVM, so the process is the agent). */
    public Process start(Path xenstoreSocket) throws IOException {
        return start("guest-agent-core,guest-agent-xen", xenstoreSocket);
    }

    /**
     * Starts bin/guest-agent --foreground with the given features, pointed at a XenStore socket
     * through XENSTORED_PATH, or without it when {@code xenstoreSocket} is null.
     */
    public Process start(String features, Path xenstoreSocket) throws IOException {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("the agent is still running");
        }
        starts++;
        ProcessBuilder builder = new ProcessBuilder(List.of(home.resolve("bin/guest-agent").toString(), "--foreground",
                "--root", root.toString(), "--features", features,
                "--pidfile", pidFile().toString(), "--logfile", logFile().toString()))
                .directory(dir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("console-" + starts + ".txt").toFile());
        builder.environment().remove("XENSTORED_PATH");
        builder.environment().remove("GUEST_AGENT_JAVA_OPTS");
        if (javaOptions != null) {
            builder.environment().put("GUEST_AGENT_JAVA_OPTS", javaOptions);
        }
        if (xenstoreSocket != null) {
            builder.environment().put("XENSTORED_PATH", xenstoreSocket.toString());
        }
        process = builder.start();
        return process;
    }

    public Process process() {
        return process;
    }

    /** SIGTERM, then the exit code, or null if it did not exit within {@link #EXIT_LIMIT}. */
    public Integer terminate() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(EXIT_LIMIT.toSeconds(), TimeUnit.SECONDS)) {
            return null;
        }
        return process.exitValue();
    }

    /** What the agent printed and logged, for failure messages. */
    public String diagnostics() {
        StringBuilder out = new StringBuilder();
        for (int i = 1; i <= starts; i++) {
            out.append("--- console ").append(i).append(":\n").append(tail(dir.resolve("console-" + i + ".txt")));
        }
        return out.append("--- log:\n").append(tail(logFile())).toString();
    }

    private static String tail(Path file) {
        try {
            String text = Files.readString(file);
            return text.length() > 4000 ? "..." + text.substring(text.length() - 4000) : text;
        } catch (IOException e) {
            return "(" + file + " unreadable: " + e.getMessage() + ")\n";
        }
    }

    /**
     * Stops the agent if it still runs (SIGTERM, then SIGKILL), with bounded waits, and removes the
     * copy of the distribution and the root (mostly the framework's cache); the logs stay.
     */
    @Override
    public void close() throws InterruptedException, IOException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(EXIT_LIMIT.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
        if (process == null || !process.isAlive()) {
            deleteTree(home);
            deleteTree(root);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
