package org.guestagent.itests.robustness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.guestagent.itests.support.Json;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * SIGTERM while the real distribution drains a few thousand queued requests: it exits cleanly
 * within a bound, and every request is then either answered (data/guest/&lt;id&gt; holds its right
 * answer, data/host/&lt;id&gt; is gone) or untouched in data/host/&lt;id&gt; -- never removed without an
 * answer, never both. A restarted agent answers all the rest, each exactly once.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SigtermUnderLoadTest {
    private static final int REQUESTS = 4_000;
    /** How many answers to wait for before the signal, so that it lands while draining. */
    private static final int ANSWERED_BEFORE_SIGNAL = 100;
    private static final Duration ANSWER_LIMIT = Duration.ofSeconds(60);
    /** The JVM's status after SIGTERM with shutdown hooks run (128 + 15), or 0 for a clean return. */
    private static final Set<Integer> CLEAN_EXITS = Set.of(0, 143);

    private AgentOnHost run;
    private HostSide host;
    private AgentRun agent;

    @BeforeEach
    void start() throws Exception {
        // 4,000 requests queued at once are 4,000 nodes of the guest: such a host gives the guest
        // a larger quota, and the agent is told so (then it keeps all the answers this test reads)
        run = AgentOnHost.prepare("sigterm", 5 * REQUESTS);
        host = run.host();
        agent = run.agent();
        run.startAgent();
    }

    @AfterEach
    void stop() throws Exception {
        if (run != null) {
            run.close();
        }
    }

    @Test
    void requestsAreAnsweredOrLeftUntouchedAndTheNextAgentAnswersTheRest() throws Exception {
        String version = host.call(Json.request("version", "\"agent\""), ANSWER_LIMIT);
        assertTrue(version.startsWith("{\"returncode\":\"0\""), version);
        String features = host.call(Json.request("features", "\"\""), ANSWER_LIMIT);
        assertTrue(features.contains("resetnetwork") && features.contains("agentupdate"), features);
        int answersBefore = host.answerCount();

        // Requests and their answers; the unknown commands' answers name their request. The
        // "features" requests show that every command is still there while the agent stops, and
        // already there for requests waiting when the next one starts.
        Map<String, String> bodies = new LinkedHashMap<>();
        Map<String, String> expected = new LinkedHashMap<>();
        for (int n = 0; n < REQUESTS; n++) {
            String id = String.format("%06d", n);
            String name = "missing_" + n;
            if (n % 2 == 1) {
                bodies.put(id, Json.request(name, "\"\""));
                expected.put(id, Json.answer("404", "No such agent command '" + name + "'"));
            } else if (n % 4 == 2) {
                bodies.put(id, Json.request("features", "\"\""));
                expected.put(id, features);
            } else {
                bodies.put(id, Json.request("version", "\"agent\""));
                expected.put(id, version);
            }
        }
        List<String> ids = List.copyOf(bodies.keySet());
        // One transaction with pipelined writes: all requests appear at once, a queue to drain.
        host.client().inTransaction(tx -> {
            List<CompletableFuture<byte[]>> writes = new ArrayList<>();
            for (String id : ids) {
                writes.add(tx.writeAsync(HostSide.REQUESTS + "/" + id, bodies.get(id).getBytes(StandardCharsets.UTF_8)));
            }
            for (CompletableFuture<byte[]> write : writes) {
                tx.await(write, "write a request");
            }
            return null;
        });
        awaitAnswers(answersBefore + ANSWERED_BEFORE_SIGNAL);

        long pid = agent.process().pid();
        int answeredAtSignal = host.answerCount() - answersBefore;
        Integer exit = agent.terminate();
        assertNotNull(exit, "the agent did not exit within " + AgentRun.EXIT_LIMIT.toSeconds() + " s of SIGTERM\n" + agent.diagnostics());
        assertTrue(CLEAN_EXITS.contains(exit), "exit status " + exit + " after SIGTERM\n" + agent.diagnostics());
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "the agent's JVM is gone");
        assertFalse(Files.exists(agent.pidFile()), "pid file removed on a clean stop");
        String log = Files.readString(agent.logFile());
        assertTrue(log.contains("guest-agent stopped"), agent.diagnostics());

        int answered = 0;
        for (String id : ids) {
            Optional<String> answer = host.read(HostSide.ANSWERS + "/" + id);
            Optional<String> request = host.read(HostSide.REQUESTS + "/" + id);
            if (answer.isPresent()) {
                answered++;
                assertEquals(expected.get(id), answer.get(), "answer to " + id);
                assertFalse(request.isPresent(), "request " + id + " answered but still in data/host");
            } else {
                assertEquals(Optional.of(bodies.get(id)), request, "request " + id + " neither answered nor left untouched");
            }
        }
        assertTrue(answered >= answeredAtSignal, answered + " answered after exit, " + answeredAtSignal + " seen before the signal");
        System.out.println("SigtermUnderLoadTest: " + answeredAtSignal + " answered at SIGTERM, " + answered + " at exit (status "
                + exit + "), " + (REQUESTS - answered) + " left for the next agent");

        agent.start(host.guestSocket());
        if (!host.awaitAnswered(ids, ANSWER_LIMIT)) {
            fail(host.list(HostSide.REQUESTS).size() + " requests still unanswered after the restart\n" + agent.diagnostics());
        }
        Thread.sleep(500); // a duplicate answer would arrive in this time
        assertNull(host.watchFailure());
        for (String id : ids) {
            assertEquals(List.of(expected.get(id)), host.answersOf(id), "answers to " + id);
            assertEquals(1, host.eventsOf(id), "data/guest/" + id + " written once");
        }
        assertEquals(List.of(), host.list(HostSide.REQUESTS), "no request left");
    }

    private void awaitAnswers(int count) throws InterruptedException {
        long deadline = System.nanoTime() + ANSWER_LIMIT.toNanos();
        while (host.answerCount() < count) {
            if (System.nanoTime() > deadline) {
                fail("only " + host.answerCount() + " answers within " + ANSWER_LIMIT.toSeconds() + " s\n" + agent.diagnostics());
            }
            Thread.sleep(2);
        }
    }
}
