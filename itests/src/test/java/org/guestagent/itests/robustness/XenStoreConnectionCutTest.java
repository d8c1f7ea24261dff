package org.guestagent.itests.robustness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

import org.guestagent.itests.support.AgentBundles;
import org.guestagent.itests.support.Json;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The real distribution keeps answering while its XenStore connection is cut 20 times under load,
 * as when xenstored restarts: the host writes requests without pause, the simulator drops the
 * guest's connections (the tree stays, the socket keeps listening), and in the end every request
 * has exactly one answer, the right one, and nothing is left in data/host.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class XenStoreConnectionCutTest {
    private static final int CUTS = 20;
    /**
     * Requests written but not yet answered, at most: the writer keeps pace with the agent, however
     * fast the machine is, as a real host does (it waits for answers), and stays far from the
     * XenStore quota of the guest.
     */
    private static final int MAX_BACKLOG = 200;
    /** A bound on the writer in case the cuts never end; far more than 20 cuts need. */
    private static final int MAX_REQUESTS = 500_000;
    private static final Duration ANSWER_LIMIT = Duration.ofSeconds(60);
    private static final Duration RECONNECT_LIMIT = Duration.ofSeconds(60);
    private static final Pattern FEATURES = Pattern.compile("\\{\"returncode\":\"0\",\"message\":\"([a-z_,]*)\"}");

    private Path scratch;
    private HostSide host;
    private AgentRun agent;
    private Thread writer;
    private final AtomicBoolean writing = new AtomicBoolean(true);

    @BeforeEach
    void start() throws Exception {
        scratch = AgentBundles.scratch("xenstore-cut");
        // The writer may run far ahead of the agent on a slow machine, and its pending requests
        // are the guest's nodes: a host that floods a guest like this gives it a larger quota
        // (xenstored --entry-nb), and the agent is told the same.
        host = HostSide.start(scratch, true, 100_000);
        agent = AgentRun.copyInto(scratch);
        agent.configure(AgentRun.EXCHANGE_PID, "domain.node.quota", "100000");
        agent.start(host.guestSocket());
    }

    @AfterEach
    void stop() throws Exception {
        writing.set(false);
        if (writer != null) {
            writer.join(10_000);
        }
        if (agent != null) {
            agent.close();
        }
        if (host != null) {
            host.close();
        }
    }

    @Test
    void everyRequestIsAnsweredExactlyOnceAcrossTwentyCuts() throws Exception {
        String version = host.call(Json.request("version", "\"agent\""), ANSWER_LIMIT);
        assertTrue(version.startsWith("{\"returncode\":\"0\""), version);
        String features = host.call(Json.request("features", "\"\""), ANSWER_LIMIT);
        assertTrue(isFeatureList(features), features);

        AtomicInteger written = new AtomicInteger();
        AtomicInteger writeFailures = new AtomicInteger();
        int answeredBefore = host.answerCount();
        writer = new Thread(() -> {
            // writes until the last cut is done, never more than MAX_BACKLOG ahead of the answers
            for (int n = 0; writing.get() && n < MAX_REQUESTS; n++) {
                try {
                    while (writing.get() && n - (host.answerCount() - answeredBefore) >= MAX_BACKLOG) {
                        Thread.sleep(1);
                    }
                    host.client().write(HostSide.REQUESTS + "/" + idOf(n), requestOf(n));
                    written.incrementAndGet();
                } catch (InterruptedException e) {
                    return;
                } catch (Exception e) {
                    writeFailures.incrementAndGet();
                    return;
                }
            }
        }, "host-writer");
        writer.start();

        Random random = new Random(42);
        for (int cut = 1; cut <= CUTS; cut++) {
            Thread.sleep(50 + random.nextInt(150));
            int writtenAtCut = written.get();
            host.simulator().disconnect(HostSide.GUEST);
            awaitProgress(cut, writtenAtCut, written);
        }
        writing.set(false);
        writer.join(10_000);
        assertEquals(0, writeFailures.get(), "the host's own writes never fail");

        List<String> ids = IntStream.range(0, written.get()).mapToObj(XenStoreConnectionCutTest::idOf).toList();
        if (!host.awaitAnswered(ids, ANSWER_LIMIT)) {
            List<String> missing = ids.stream().filter(id -> host.answersOf(id).isEmpty()).toList();
            fail(missing.size() + " of " + ids.size() + " requests unanswered, e.g. " + missing.subList(0, Math.min(5, missing.size()))
                    + "; left in data/host: " + host.list(HostSide.REQUESTS).size() + "\n" + agent.diagnostics());
        }
        Thread.sleep(1_000); // a duplicate answer would arrive in this time
        assertNull(host.watchFailure());
        for (int n = 0; n < ids.size(); n++) {
            String id = ids.get(n);
            List<String> answers = host.answersOf(id);
            assertEquals(1, answers.size(), "answers to " + id + ": " + answers);
            switch (n % 3) {
                case 0 -> assertEquals(version, answers.get(0), "answer to " + id);
                case 1 -> assertTrue(isFeatureList(answers.get(0)), "answer to " + id + ": " + answers.get(0));
                default -> assertEquals(Json.answer("404", "No such agent command 'missing_" + n + "'"), answers.get(0), "answer to " + id);
            }
            assertEquals(2, host.eventsOf(id), "data/guest/" + id + " written once (and removed by the host once)");
        }
        assertEquals(List.of(), host.list(HostSide.REQUESTS), "no request left unanswered");
        assertEquals(List.of(), host.list(HostSide.ANSWERS), "no answer written twice");
        assertTrue(agent.process().isAlive(), "the agent survived every cut\n" + agent.diagnostics());
        System.out.println("XenStoreConnectionCutTest: " + ids.size() + " requests answered across " + CUTS + " cuts");
    }

    /**
     * After a cut: the agent reconnects and answers a request written after the cut (the writer
     * goes on until every cut is done, so that request comes).
     */
    private void awaitProgress(int cut, int writtenAtCut, AtomicInteger written) throws Exception {
        String next = idOf(writtenAtCut + 1);
        long deadline = System.nanoTime() + RECONNECT_LIMIT.toNanos();
        while (host.answersOf(next).isEmpty()) {
            if (System.nanoTime() > deadline) {
                fail("request " + next + ", written after cut " + cut + ", not answered within "
                        + RECONNECT_LIMIT.toSeconds() + " s; written so far: " + written.get()
                        + ", answered: " + host.answerCount() + (writer.isAlive() ? "" : " (the writer has stopped)")
                        + "\n" + agent.diagnostics());
            }
            Thread.sleep(5);
        }
    }

    /**
     * A features answer: success, with the built-in version and features among the commands (not
     * a fixed list: commands may come and go while the bundles settle after start-up).
     */
    private static boolean isFeatureList(String answer) {
        Matcher m = FEATURES.matcher(answer);
        return m.matches() && List.of(m.group(1).split(",")).containsAll(List.of("version", "features"));
    }

    /**
     * Three kinds of request in turn: version, features, and an unknown command whose 404 answer
     * names the request, so that an answer delivered to the wrong id cannot go unnoticed.
     */
    private static String requestOf(int n) {
        return switch (n % 3) {
            case 0 -> Json.request("version", "\"agent\"");
            case 1 -> Json.request("features", "\"\"");
            default -> Json.request("missing_" + n, "\"\"");
        };
    }

    private static String idOf(int n) {
        return String.format("%06d-%d", n, n % 3);
    }
}
