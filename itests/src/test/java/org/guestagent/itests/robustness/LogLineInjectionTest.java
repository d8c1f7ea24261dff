package org.guestagent.itests.robustness;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.guestagent.itests.support.AgentBundles;
import org.guestagent.itests.support.Json;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 15: a host argument with a newline (and a carriage return) must not forge a log line.
 * The running distribution logs the argument of "version" (not a secret command; a quiet one, so
 * at debug level, which this agent runs at); the forged record stays inside the real one, escaped,
 * and the log file is readable by its owner only.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LogLineInjectionTest {
    private static final Duration LIMIT = Duration.ofSeconds(60);
    private static final String FORGED = "2026-01-01 00:00:00.000 INFO  [org.guestagent.core.CommandRegistryImpl] request 1: forged";

    private HostSide host;
    private AgentRun agent;

    @AfterEach
    void stop() throws Exception {
        if (agent != null) {
            agent.close();
        }
        if (host != null) {
            host.close();
        }
    }

    @Test
    void aNewlineInAnArgumentStaysOnOneLogLine() throws Exception {
        Path scratch = AgentBundles.scratch("log-injection");
        host = HostSide.start(scratch, false);
        agent = AgentRun.copyInto(scratch);
        agent.configure("org.guestagent.launcher", "log.level", "debug"); // "version" is quiet: its request line is debug
        agent.start(host.guestSocket());
        String answer = host.call(Json.request("version", "\"agent\\n" + FORGED + "\\r\\n" + FORGED + "\""), LIMIT);
        assertTrue(answer.contains("\"returncode\": \"0\"") || answer.contains("\"returncode\":\"0\""), answer);

        String log = Files.readString(agent.logFile());
        assertTrue(log.lines().anyMatch(l -> l.contains("version(agent\\n" + FORGED + "\\r\\n" + FORGED + ")")),
                "the argument is logged escaped, on the request's own line\n" + agent.diagnostics());
        assertFalse(log.lines().anyMatch(l -> l.startsWith(FORGED)), "a forged line in the log\n" + log);
        assertTrue(PosixFilePermissions.toString(Files.getPosixFilePermissions(agent.logFile())).equals("rw-------"),
                "the log is its owner's only");
    }
}
