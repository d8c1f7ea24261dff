package org.guestagent.itests.robustness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.guestagent.itests.support.AgentBundles;
import org.guestagent.itests.support.Json;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The distribution starts its request pipeline (core, parser, exchange, version/features) before
 * the other command bundles, to answer the first request early. Requests already waiting in
 * XenStore at the start (as after a guest's boot) must still be answered as a fully started
 * agent answers them: a command of a later bundle is held until the boot is over, not answered
 * 404, and "features" lists every command.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BootOrderTest {
    private static final Duration ANSWER_LIMIT = Duration.ofSeconds(60);

    private AgentOnHost run;
    private HostSide host;
    private AgentRun agent;

    @BeforeEach
    void prepare() throws Exception {
        run = AgentOnHost.prepare("boot-order");
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
    void requestsWaitingAtTheStartAreAnsweredAsByAStartedAgent() throws Exception {
        // Queued before the agent exists, in the order the host would send them.
        String features = host.send("a", Json.request("features", "\"\""));
        String keyinit = host.send("b", Json.request("keyinit", "\"12345678901234567890\""));
        String unknown = host.send("c", Json.request("no_such_command", "\"\""));
        String version = host.send("d", Json.request("version", "\"agent\""));
        run.startAgent();

        List<String> ids = List.of(features, keyinit, unknown, version);
        assertTrue(host.awaitAnswered(ids, ANSWER_LIMIT), () -> "not all answered\n" + agent.diagnostics());

        String listed = only(features);
        assertTrue(listed.startsWith("{\"returncode\":\"0\""), listed);
        List<String> names = new ArrayList<>(Arrays.asList(messageOf(listed).split(",")));
        for (String command : List.of("version", "features", "password", "keyinit", "injectfile", "file_inject",
                "resetnetwork", "agentupdate", "kmsactivate")) {
            assertTrue(names.contains(command), () -> command + " missing from " + listed);
        }
        assertTrue(only(keyinit).startsWith("{\"returncode\":\"D0\""), () -> "keyinit: " + only(keyinit));
        assertEquals(Json.answer("404", "No such agent command 'no_such_command'"), only(unknown));
        assertTrue(only(version).startsWith("{\"returncode\":\"0\""), only(version));

        // After the boot, the same list comes at once.
        assertEquals(listed, host.call(Json.request("features", "\"\""), ANSWER_LIMIT));
    }

    /** A vendor bundle left in deploy/ (e.g. across a reboot) answers from the start too. */
    @Test
    void commandOfABundleWaitingInDeployIsAnsweredFromTheStart() throws Exception {
        Files.copy(AgentBundles.jar("itests/sample-commands").toPath(), agent.home().resolve("deploy/sample-commands.jar"));
        String hello = host.send("a", Json.request("sample_hello", "\"\""));
        String features = host.send("b", Json.request("features", "\"\""));
        run.startAgent();

        assertTrue(host.awaitAnswered(List.of(hello, features), ANSWER_LIMIT), () -> "not all answered\n" + agent.diagnostics());
        assertEquals(Json.answer("0", "hello from vendor"), only(hello));
        assertTrue(only(features).contains("sample_hello"), only(features));
    }

    private String only(String id) {
        List<String> answers = host.answersOf(id);
        assertEquals(1, answers.size(), () -> id + " answered " + answers);
        return answers.get(0);
    }

    private static String messageOf(String answer) {
        String key = "\"message\":\"";
        int start = answer.indexOf(key) + key.length();
        return answer.substring(start, answer.lastIndexOf('"'));
    }
}
