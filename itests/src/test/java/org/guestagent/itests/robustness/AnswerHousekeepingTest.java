package org.guestagent.itests.robustness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.guestagent.itests.support.Json;
import org.guestagent.xenstore.simulator.XenStoreSimulator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A long-lived guest on a host with C xenstored's default quota of 1,000 nodes, and nobody but the
 * agent removing answers (the dom0 plugin only reads them): the agent keeps its answers under its
 * share of the quota (default 50%, so 500) and removes them after their lifetime, so it can
 * answer for ever.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class AnswerHousekeepingTest {
    private static final int REQUESTS = 5_000;
    /** Requests in flight at once, as many callers of one guest would have. */
    private static final int WINDOW = 50;
    private static final int ANSWER_CAP = 500;
    private static final Duration ANSWER_LIMIT = Duration.ofSeconds(60);

    private AgentOnHost run;

    @AfterEach
    void stop() throws Exception {
        if (run != null) {
            run.close();
        }
    }

    @Test
    void fiveThousandRequestsOnTheDefaultQuotaAreAllAnsweredAndTheAnswersStayUnderTheirCap() throws Exception {
        run = AgentOnHost.prepare("housekeeping");
        HostSide host = run.host();
        assertEquals(XenStoreSimulator.DEFAULT_NODE_QUOTA, host.simulator().nodeQuota());
        run.startAgent();
        String version = host.call(Json.request("version", "\"agent\""), ANSWER_LIMIT);
        assertTrue(version.startsWith("{\"returncode\":\"0\""), version);

        // what the guest owns, sampled all along: its answers, and all its nodes
        AtomicInteger mostAnswers = new AtomicInteger();
        AtomicInteger mostNodes = new AtomicInteger();
        AtomicBoolean sampling = new AtomicBoolean(true);
        Thread sampler = new Thread(() -> {
            while (sampling.get()) {
                try {
                    mostAnswers.accumulateAndGet(host.list(HostSide.ANSWERS).size(), Math::max);
                    mostNodes.accumulateAndGet(host.simulator().nodesOwnedBy(HostSide.GUEST), Math::max);
                    Thread.sleep(5);
                } catch (Exception e) {
                    return;
                }
            }
        }, "node-sampler");
        sampler.start();

        List<String> ids = new ArrayList<>();
        try {
            for (int n = 0; n < REQUESTS; n += WINDOW) {
                List<String> window = new ArrayList<>();
                for (int i = n; i < n + WINDOW; i++) {
                    window.add(host.send(String.format("%05d", i),
                            i % 2 == 0 ? Json.request("version", "\"agent\"") : Json.request("missing_" + i, "\"\"")));
                }
                if (!host.awaitAnswered(window, ANSWER_LIMIT)) {
                    fail("requests " + n + " to " + (n + WINDOW) + " not all answered; the guest owns "
                            + host.simulator().nodesOwnedBy(HostSide.GUEST) + " nodes\n" + run.agent().diagnostics());
                }
                ids.addAll(window);
            }
        } finally {
            sampling.set(false);
            sampler.join(10_000);
        }
        assertNull(host.watchFailure());
        for (int n = 0; n < ids.size(); n++) {
            List<String> answers = host.answersOf(ids.get(n));
            assertEquals(1, answers.size(), "answers to " + ids.get(n));
            assertEquals(n % 2 == 0 ? version : Json.answer("404", "No such agent command 'missing_" + n + "'"), answers.get(0));
        }
        int left = host.list(HostSide.ANSWERS).size();
        System.out.println("AnswerHousekeepingTest: " + REQUESTS + " answered; at most " + mostAnswers.get() + " answers and "
                + mostNodes.get() + " guest nodes at once; " + left + " answers left");
        assertTrue(mostAnswers.get() <= ANSWER_CAP, "answers at once: " + mostAnswers.get());
        assertTrue(mostNodes.get() < XenStoreSimulator.DEFAULT_NODE_QUOTA, "the guest's nodes at once: " + mostNodes.get());
        assertTrue(left <= ANSWER_CAP, left + " answers left");
        // the newest answers, far younger than the lifetime of 600 s, are all still there to read
        for (int n = ids.size() - 400; n < ids.size(); n++) {
            Optional<String> answer = host.read(HostSide.ANSWERS + "/" + ids.get(n));
            assertEquals(Optional.of(host.answersOf(ids.get(n)).get(0)), answer, "answer " + n + " still readable");
        }
        assertEquals(List.of(), host.list(HostSide.REQUESTS));
    }

    @Test
    void answersOlderThanTheConfiguredLifetimeAreRemoved() throws Exception {
        run = AgentOnHost.prepare("answer-lifetime");
        run.agent().configure(AgentRun.EXCHANGE_PID, "answer.lifetime.seconds", "3");
        run.startAgent();
        HostSide host = run.host();
        String id = host.send("short-lived", Json.request("version", "\"agent\""));
        assertTrue(host.awaitAnswered(List.of(id), ANSWER_LIMIT), run.agent().diagnostics());
        long deadline = System.nanoTime() + ANSWER_LIMIT.toNanos();
        while (host.read(HostSide.ANSWERS + "/" + id).isPresent()) {
            if (System.nanoTime() > deadline) {
                fail("the answer is still there " + ANSWER_LIMIT.toSeconds() + " s later, with a lifetime of 3 s\n"
                        + run.agent().diagnostics());
            }
            Thread.sleep(100);
        }
        assertEquals(List.of(), host.list(HostSide.ANSWERS));
    }
}
