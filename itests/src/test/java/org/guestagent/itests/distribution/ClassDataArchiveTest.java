package org.guestagent.itests.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

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
 * The class data archive of {@code bin/guest-agent --make-cds}: made on a copy of the distribution,
 * a start with a kept bundle cache takes from it the classes of the launcher, of the framework, of
 * bundles on the request path and of the command set activated by the first request (the training
 * start answered a request, so the request path is in the archive too, not only the start), and
 * the agent answers through the real registry.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ClassDataArchiveTest {
    private static final Duration LIMIT = Duration.ofSeconds(60);
    private static final String FEATURES = "guest-agent-core,guest-agent-xen,guest-agent-shell";
    /** Loaded at the start (launcher, framework, a bundle) and by the first version request. */
    private static final List<String> ARCHIVED = List.of("org.guestagent.launcher.Main", "org.apache.felix.framework.Felix",
            "org.guestagent.core.Dispatcher", "org.guestagent.parser.novajson.NovaJsonParser",
            "org.guestagent.commands.misc.MiscCommands");

    private AgentOnHost run;
    private Path scratch;
    private HostSide host;
    private AgentRun agent;

    @BeforeEach
    void start() throws Exception {
        run = AgentOnHost.prepare("class-data-archive");
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

    @Test
    void aWarmStartTakesTheStartAndTheRequestPathFromTheArchiveAndAnswers() throws Exception {
        Path archive = agent.home().resolve("lib/guest-agent.jsa");
        Files.deleteIfExists(archive);
        Distribution.Result made = Distribution.run(agent.home(), scratch, Duration.ofSeconds(240), null, "bin/guest-agent", "--make-cds");
        assertEquals(0, made.code(), made.toString());
        assertTrue(Files.size(archive) > 0, "the archive is written: " + made);
        assertTrue(!made.err().contains("did not answer"), "the training start answered both pairs: " + made);

        agent.start(FEATURES, host.guestSocket()); // first start: makes the bundle cache
        assertTrue(host.call(Json.request("version", "\"agent\""), LIMIT).contains("\"0\""), agent.diagnostics());
        assertNotNull(agent.terminate(), "the agent stops on SIGTERM\n" + agent.diagnostics());

        Path classLog = scratch.resolve("classes.txt");
        agent.javaOptions("-Xlog:class+load=info:file=" + classLog);
        agent.start(FEATURES, host.guestSocket()); // warm start: the cache is kept
        String answer = host.call(Json.request("version", "\"agent\""), LIMIT);
        assertTrue(answer.contains("\"0\""), answer + "\n" + agent.diagnostics());
        assertTrue(Files.readString(agent.logFile()).contains(" kept: "), "the bundle cache was kept\n" + agent.diagnostics());
        List<String> loads = Files.readAllLines(classLog);
        for (String name : ARCHIVED) {
            String line = loads.stream().filter(l -> l.contains("] " + name + " source: ")).findFirst().orElse("not loaded");
            assertTrue(line.contains("source: shared objects file"), name + " comes from the archive: " + line);
        }
    }
}
