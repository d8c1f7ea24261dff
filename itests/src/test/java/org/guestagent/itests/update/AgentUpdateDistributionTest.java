package org.guestagent.itests.update;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;


import org.guestagent.itests.robustness.AgentRun;
import org.guestagent.itests.robustness.HostSide;
import org.guestagent.itests.support.AgentBundles;
import org.guestagent.itests.support.ArtifactServer;
import org.guestagent.itests.support.Json;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * agentupdate on the running distribution, sent the way a host sends it (bin/guest-agent-client
 * over the simulator's dom0 socket): the sample command bundle is installed from a loopback HTTP
 * server, then replaced by a newer version; its answer changes, the agent's pid stays the same,
 * every request sent meanwhile is answered, the download folder is left empty, and the newer
 * version is still there after the agent restarts.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class AgentUpdateDistributionTest {
    private static final Duration LIMIT = Duration.ofSeconds(30);
    private static final String SAMPLE = "org.guestagent.sample-commands";

    private final AtomicBoolean sending = new AtomicBoolean(true);
    private Path scratch;
    private Path downloads;
    private HostSide host;
    private AgentRun agent;
    private ArtifactServer server;
    private Thread traffic;

    private static final String URL_SECRET = "pa55-in-url";
    private static final String QUERY_SECRET = "5ignature0f0123";

    @BeforeEach
    void start() throws Exception {
        scratch = AgentBundles.scratch("agentupdate-dist");
        downloads = Files.createDirectories(scratch.resolve("downloads"));
        host = HostSide.start(scratch, false);
        agent = AgentRun.copyInto(scratch);
        agent.configure("org.guestagent.commands.update", "temp.dir", downloads.toString());
        agent.configure("org.guestagent.commands.update", "apply.delay.ms", "200");
        agent.configure("org.guestagent.commands.update", "allow.http", "true"); // the artifact server speaks http
        server = new ArtifactServer();
        agent.start(host.guestSocket());
    }

    @AfterEach
    void stop() throws Exception {
        sending.set(false);
        if (traffic != null) {
            traffic.join(10_000);
        }
        if (agent != null) {
            agent.close();
        }
        if (server != null) {
            server.close();
        }
        if (host != null) {
            host.close();
        }
    }

    @Test
    void newerCommandBundleReplacesTheOldInTheRunningAgent() throws Exception {
        String version = host.call(Json.request("version", "\"agent\""), Duration.ofSeconds(60));
        assertEquals(Json.answer("404", "No such agent command 'sample_hello'"), sampleHello());

        byte[] old = Files.readAllBytes(AgentBundles.jar("itests/sample-commands").toPath());
        assertEquals("0", agentupdate("/sample-0.1.0.jar", old));
        awaitSampleHello(Json.answer("0", UpdateArtifacts.OLD_ANSWER));
        long pid = agent.process().pid();
        assertEquals(Long.toString(pid), Files.readString(agent.pidFile()).trim());

        // Requests flow while the newer version is put in place; each must be answered.
        List<String> during = new ArrayList<>();
        traffic = new Thread(() -> {
            for (int i = 0; sending.get() && i < 2_000; i++) {
                try {
                    String id = host.send(String.format("during-%04d", i),
                            i % 2 == 0 ? Json.request("version", "\"agent\"") : Json.request("sample_hello", "\"\""));
                    synchronized (during) {
                        during.add(id);
                    }
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    return;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        }, "host-traffic");
        traffic.start();
        byte[] newer = UpdateArtifacts.newerSample(AgentBundles.jar("itests/sample-commands").toPath(), "0.1.1");
        assertEquals("0", agentupdate("/sample-0.1.1.jar", newer));
        awaitSampleHello(Json.answer("0", UpdateArtifacts.NEW_ANSWER));
        Thread.sleep(300); // a little traffic after the change as well
        sending.set(false);
        traffic.join(10_000);

        assertEquals(Long.toString(pid), Files.readString(agent.pidFile()).trim(), "pid file unchanged");
        assertTrue(agent.process().isAlive(), "the same agent process still runs");
        List<String> sent;
        synchronized (during) {
            sent = List.copyOf(during);
        }
        assertTrue(host.awaitAnswered(sent, LIMIT), "every request sent during the update is answered\n" + agent.diagnostics());
        Set<String> sampleAnswers = Set.of(Json.answer("0", UpdateArtifacts.OLD_ANSWER), Json.answer("0", UpdateArtifacts.NEW_ANSWER),
                Json.answer("404", "No such agent command 'sample_hello'"));
        int absent = 0;
        for (String id : sent) {
            List<String> answers = host.answersOf(id);
            assertEquals(1, answers.size(), "answers to " + id + ": " + answers);
            if (Integer.parseInt(id.substring("during-".length(), "during-".length() + 4)) % 2 == 0) {
                assertEquals(version, answers.get(0), "answer to " + id);
            } else {
                assertTrue(sampleAnswers.contains(answers.get(0)), "answer to " + id + ": " + answers.get(0));
                absent += answers.get(0).contains("404") ? 1 : 0;
            }
        }
        String log = Files.readString(agent.logFile());
        assertTrue(log.contains("agentupdate from http://127.0.0.1:"), "the stripped URL is logged\n" + agent.diagnostics());
        assertFalse(log.contains(URL_SECRET) || log.contains(QUERY_SECRET), "credentials of the URL reached the log");
        String installed = Files.readString(agent.root().resolve("var/lib/guest-agent/updates/installed.txt"));
        assertTrue(installed.contains(SAMPLE + " 0.1.1"), installed);
        try (Stream<Path> left = Files.list(downloads)) {
            assertEquals(List.of(), left.toList(), "download folders removed");
        }
        System.out.println("AgentUpdateDistributionTest: " + sent.size() + " requests during the update, "
                + absent + " answered 404 while sample_hello was being replaced");

        // Installed updates survive a restart of the agent: a request already waiting when it
        // starts is answered by the updated bundle, not 404 while the update is being put back.
        Integer exit = agent.terminate();
        assertNotNull(exit, "the agent stops on SIGTERM\n" + agent.diagnostics());
        String waiting = host.send("after-restart", Json.request("sample_hello", "\"\""));
        agent.start(host.guestSocket());
        assertTrue(host.awaitAnswered(List.of(waiting), LIMIT), "no answer after the restart\n" + agent.diagnostics());
        assertEquals(List.of(Json.answer("0", UpdateArtifacts.NEW_ANSWER)), host.answersOf(waiting), agent.diagnostics());
        assertEquals(Json.answer("0", UpdateArtifacts.NEW_ANSWER), sampleHello());
    }

    private String sampleHello() throws Exception {
        return host.call(Json.request("sample_hello", "\"\""), LIMIT);
    }

    /** Asks sample_hello until it gives this answer (a bundle update settles asynchronously). */
    private void awaitSampleHello(String expected) throws Exception {
        long deadline = System.nanoTime() + LIMIT.toNanos();
        String last = sampleHello();
        while (!last.equals(expected)) {
            if (System.nanoTime() > deadline) {
                fail("sample_hello still answers " + last + " after " + LIMIT.toSeconds() + " s\n" + agent.diagnostics());
            }
            Thread.sleep(100);
            last = sampleHello();
        }
    }

    /**
     * Serves the jar and sends agentupdate with bin/guest-agent-client; returns what it printed.
     * The URL carries a user, a password and a presigned-URL signature, which must not be logged.
     */
    private String agentupdate(String path, byte[] jar) throws Exception {
        String url = server.serve(path, jar).replace("http://", "http://updater:" + URL_SECRET + "@")
                + "?X-Amz-Signature=" + QUERY_SECRET;
        Path out = Files.createTempFile(scratch, "client", ".txt");
        ProcessBuilder builder = new ProcessBuilder(agent.home().resolve("bin/guest-agent-client").toString(),
                "agentupdate", url, UpdateArtifacts.md5(jar))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true)
                .redirectOutput(out.toFile());
        builder.environment().put("XENSTORED_PATH", host.dom0Socket().toString());
        Process client = builder.start();
        if (!client.waitFor(LIMIT.toSeconds() + 30, TimeUnit.SECONDS)) {
            client.destroyForcibly();
            client.waitFor(10, TimeUnit.SECONDS);
            fail("guest-agent-client agentupdate did not finish");
        }
        String printed = Files.readString(out);
        assertEquals(0, client.exitValue(), "guest-agent-client agentupdate: " + printed + "\n" + agent.diagnostics());
        return printed.strip();
    }
}
