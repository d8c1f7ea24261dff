package org.guestagent.benchmark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** One run of bin/guest-agent in the foreground, on a scratch root, pointed at a xenstored socket. */
final class AgentProcess {
    private final Path distribution;
    private final Path runDir;
    private final Path socket;
    private Process process;

    private AgentProcess(Path distribution, Path runDir, Path socket) {
        this.distribution = distribution;
        this.runDir = runDir;
        this.socket = socket;
    }

    static AgentProcess start(Path distribution, Path runDir, Path socket) throws IOException {
        Files.createDirectories(runDir.resolve("root"));
        return new AgentProcess(distribution, runDir, socket);
    }

    /** Starts the process; returns System.nanoTime() just before. */
    long launch() throws IOException {
        ProcessBuilder builder = new ProcessBuilder(List.of(
                distribution.resolve("bin/guest-agent").toString(), "--foreground",
                "--root", runDir.resolve("root").toString(),
                "--features", "guest-agent-core,guest-agent-xen,guest-agent-shell",
                "--logfile", logFile().toString()))
                .redirectErrorStream(true)
                .redirectOutput(runDir.resolve("console.txt").toFile());
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
