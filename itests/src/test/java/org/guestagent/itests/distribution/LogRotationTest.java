package org.guestagent.itests.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.guestagent.itests.robustness.AgentOnHost;
import org.guestagent.itests.robustness.AgentRun;
import org.guestagent.itests.robustness.HostSide;
import org.guestagent.itests.support.Json;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The logrotate file the distribution ships (scripts/guest-agent.logrotate), run by the real
 * logrotate against a running agent's log: the old lines move to the rotated file, and the agent
 * goes on writing into the emptied log from its start (it appends), without a restart.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LogRotationTest {
    private static final Duration LIMIT = Duration.ofSeconds(30);

    private AgentOnHost run;
    private HostSide host;
    private AgentRun agent;

    @AfterEach
    void stop() throws Exception {
        if (run != null) {
            run.close();
        }
    }

    @Test
    void shippedRotationKeepsTheRunningAgentLogging() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/logrotate")), "needs logrotate (see scripts/install-test-deps.sh)");
        run = AgentOnHost.prepare("logrotate");
        host = run.host();
        agent = run.agent();
        // version and features are quiet commands: their request lines (which name the request) are debug
        agent.configure("org.guestagent.launcher", "log.level", "debug");
        run.startAgent();
        Path scratch = agent.root().getParent();
        Path log = agent.logFile();

        String before = answered(Json.request("version", "\"agent\""));
        awaitLogged(log, before);

        Path conf = scratch.resolve("logrotate.conf");
        String shipped = Files.readString(agent.home().resolve("scripts/guest-agent.logrotate"));
        assertTrue(shipped.contains("/var/log/guest-agent.log {"), shipped);
        Files.writeString(conf, shipped.replace("/var/log/guest-agent.log", log.toString()));
        Process logrotate = new ProcessBuilder("/usr/sbin/logrotate", "-f", "-s", scratch.resolve("logrotate.state").toString(),
                conf.toString()).redirectErrorStream(true).start();
        String said = new String(logrotate.getInputStream().readAllBytes());
        assertTrue(logrotate.waitFor(30, TimeUnit.SECONDS), "logrotate did not finish");
        assertEquals(0, logrotate.exitValue(), said);

        Path rotated = Path.of(log + ".1");
        assertTrue(Files.readString(rotated).contains(before), "the rotated file keeps the old lines");

        String after = answered(Json.request("features", "\"\""));
        awaitLogged(log, after);
        String now = Files.readString(log);
        assertFalse(now.contains(before), "the old lines left the log");
        assertFalse(now.startsWith("\0"), "written from the start of the emptied file, not at the old offset");
        assertTrue(agent.process().isAlive(), agent.diagnostics());
    }

    /** Sends a request and waits for its answer; returns its id (the log names it). */
    private String answered(String body) throws Exception {
        String id = host.send("log", body);
        assertTrue(host.awaitAnswered(List.of(id), LIMIT), "no answer to " + body + "\n" + agent.diagnostics());
        return id;
    }

    private void awaitLogged(Path log, String text) throws Exception {
        long deadline = System.nanoTime() + LIMIT.toNanos();
        while (!(Files.exists(log) && Files.readString(log).contains(text))) {
            assertTrue(System.nanoTime() < deadline, text + " never reached " + log + "\n" + agent.diagnostics());
            Thread.sleep(20);
        }
    }
}
