package org.guestagent.itests.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.guestagent.itests.robustness.AgentOnHost;
import org.guestagent.itests.robustness.AgentRun;
import org.guestagent.itests.robustness.HostSide;
import org.guestagent.itests.support.Distribution;
import org.guestagent.itests.support.Json;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The dev feature's simulator points the XenStore exchange at its own socket. An agent SIGKILLed
 * while the simulator runs (nothing of the simulator's stop runs) and started again without the dev
 * feature, on the kept bundle cache, serves the configured transport: the host's xenstored.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class SimulatorAfterKillTest {
    private static final Duration LIMIT = Duration.ofSeconds(60);

    private AgentOnHost run;
    private Path scratch;
    private HostSide host;
    private AgentRun agent;

    @BeforeEach
    void start() throws Exception {
        run = AgentOnHost.prepare("sim-kill"); // short: the simulator's socket lies 36 bytes below it
        scratch = run.scratch();
        host = run.host();
        agent = run.agent();
    }

    @AfterEach
    void stop() throws Exception {
        if (run != null) {
            run.close();
        }
    }

    /** The exchange's file in config/ (FileInstall puts its values back into ConfigAdmin at each start). */
    @Test
    void withTheExchangesFileAStartAfterASigkillServesTheConfiguredTransport() throws Exception {
        killWhileTheSimulatorRunsAndStartWithoutIt();
    }

    /** No file for the exchange (its built-in defaults): nothing but ConfigAdmin's stored copy is read at a start. */
    @Test
    void withoutTheExchangesFileAStartAfterASigkillServesTheConfiguredTransport() throws Exception {
        Files.delete(agent.home().resolve("config").resolve(AgentRun.EXCHANGE_PID + ".cfg"));
        killWhileTheSimulatorRunsAndStartWithoutIt();
    }

    private void killWhileTheSimulatorRunsAndStartWithoutIt() throws Exception {
        Path simulatorSocket = agent.root().resolve("run/guest-agent/xenstored.sock");
        String onSimulator = "xenstore:socket:" + simulatorSocket;
        String onHost = "xenstore:socket:" + host.guestSocket();

        agent.start("guest-agent-core,guest-agent-xen,guest-agent-dev,guest-agent-shell", host.guestSocket());
        awaitXenPair(onSimulator);
        String stored = storedExchangeConfiguration();
        assertFalse(stored.contains(simulatorSocket.toString()),
                "the simulator's socket is not in the stored configuration:\n" + stored);

        Process killed = agent.process();
        killed.destroyForcibly(); // SIGKILL: no deactivation, no shutdown hook
        assertTrue(killed.waitFor(AgentRun.EXIT_LIMIT.toSeconds(), TimeUnit.SECONDS), "the agent dies on SIGKILL");
        assertEquals(137, killed.exitValue(), "killed by SIGKILL");

        // the kept bundle cache: same framework storage, ConfigAdmin's stored configurations included
        agent.start("guest-agent-core,guest-agent-xen,guest-agent-shell", host.guestSocket());
        String version = host.call(Json.request("version", "\"agent\""), LIMIT);
        assertTrue(version.contains("\"0\""), "the host's xenstored gets answers: " + version + "\n" + agent.diagnostics());
        awaitXenPair(onHost);
        stored = storedExchangeConfiguration();
        assertFalse(stored.contains(simulatorSocket.toString()), stored);
    }

    /** The nova-json line of agent:pairs once it names {@code exchange}, polled up to LIMIT. */
    private String awaitXenPair(String exchange) throws Exception {
        long deadline = System.nanoTime() + LIMIT.toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            Distribution.Result r = Distribution.run(agent.home(), scratch, LIMIT, null, "bin/guest-agent", "shell",
                    "--root", agent.root().toString(), "-c", "agent:pairs");
            last = r.out();
            List<String> xen = last.lines().filter(l -> l.startsWith("nova-json ")).toList();
            if (xen.size() == 1 && xen.get(0).contains(exchange)) {
                return xen.get(0);
            }
            Thread.sleep(500);
        }
        fail("agent:pairs never named " + exchange + " within " + LIMIT.toSeconds() + " s; last:\n" + last + "\n"
                + agent.diagnostics());
        return null;
    }

    /** What ConfigAdmin stored of the exchange's configuration in the kept bundle cache ("" if nothing). */
    private String storedExchangeConfiguration() throws IOException {
        Path cache = agent.root().resolve("var/lib/guest-agent/felix-cache");
        try (Stream<Path> files = Files.walk(cache)) {
            List<Path> found = files.filter(f -> f.toString().endsWith("/org/guestagent/exchange/xenstore.config")).toList();
            assertTrue(found.size() <= 1, "one stored configuration of the exchange at most: " + found);
            return found.isEmpty() ? "" : Files.readString(found.get(0), StandardCharsets.UTF_8);
        }
    }
}
