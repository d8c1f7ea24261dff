package org.guestagent.benchmark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** One run of bin/guest-agent in the foreground, on a scratch root, pointed at a xenstored socket. */
final class AgentProcess {
    private final Path distribution;
    private final Path runDir;
    private final Path socket;
    /** The configuration folder, or null for the distribution's own. */
    private final Path configDir;
    private Process process;

    private AgentProcess(Path distribution, Path runDir, Path socket, Path configDir) {
        this.distribution = distribution;
        this.runDir = runDir;
        this.socket = socket;
        this.configDir = configDir;
    }

    static AgentProcess start(Path distribution, Path runDir, Path socket, Path configDir) throws IOException {
        Files.createDirectories(runDir.resolve("root"));
        return new AgentProcess(distribution, runDir, socket, configDir);
    }

    /**
     * Starts the process; returns System.nanoTime() just before. Called again after {@link #stop()},
     * it starts the agent on the same root: what the agent kept in its state folder is still there.
     */
    long launch() throws IOException {
        List<String> command = new ArrayList<>(List.of(
                distribution.resolve("bin/guest-agent").toString(), "--foreground",
                "--root", runDir.resolve("root").toString(),
                "--features", "guest-agent-core,guest-agent-xen,guest-agent-shell",
                "--logfile", logFile().toString()));
        if (configDir != null) {
            command.addAll(List.of("--config", configDir.toString()));
        }
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(runDir.resolve("console.txt").toFile()));
        builder.environment().put("XENSTORED_PATH", socket.toString());
        long started = System.nanoTime();
        process = builder.start();
        return started;
    }

    long pid() {
        return process.pid();
    }

    Path logFile() {
        return runDir.resolve("agent.log");
    }

    /** The shell's socket: shell.sock in the run folder below the root (socket.path left empty). */
    Path shellSocket() {
        return runDir.resolve("root/run/guest-agent/shell.sock");
    }

    Path deployDir() {
        return distribution.resolve("deploy");
    }

    /** SIGTERM, then waits for a clean exit (bounded). */
    void stop() throws InterruptedException {
        if (process == null) {
            return;
        }
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
