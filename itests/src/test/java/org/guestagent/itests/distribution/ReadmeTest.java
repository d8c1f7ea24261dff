package org.guestagent.itests.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.guestagent.itests.support.AgentBundles;
import org.junit.jupiter.api.Test;

/** What the README tells a newcomer to type works as written. */
class ReadmeTest {
    /** The nova protocol's commands (docs/PROTOCOL.md, "The commands"), every one built in. */
    private static final List<String> NOVA_COMMANDS = List.of("version", "features", "keyinit", "password",
            "injectfile", "file_inject", "resetnetwork", "agentupdate", "kmsactivate");

    private final Path top = AgentBundles.projectRoot();

    @Test
    void theGrepExampleFindsEveryBuiltInCommandWhereItIsDefined() throws Exception {
        String readme = Files.readString(top.resolve("README.md"));
        Matcher m = Pattern.compile("Find any command by name: `(grep [^`]*\"password\"[^`]*)`").matcher(readme);
        assertTrue(m.find(), "the README names a grep for the command \"password\"");
        String example = m.group(1);
        for (String name : NOVA_COMMANDS) {
            String grep = example.replace("\"password\"", "\"" + name + "\"");
            List<String> hits = bash(grep).lines().filter(l -> l.contains("/src/main/")).toList();
            assertEquals(1, hits.size(), grep + " finds exactly its definition: " + hits);
            assertTrue(hits.get(0).contains("@Command") && hits.get(0).contains("\"" + name + "\""), hits.get(0));
        }
    }

    @Test
    void ciRunsExactlyTheReadmesTestCommand() throws Exception {
        String readme = Files.readString(top.resolve("README.md"));
        Matcher m = Pattern.compile("Run every test[^\\n]*\\n\\n {4}(\\S+)\\n").matcher(readme);
        assertTrue(m.find(), "the README gives the test command");
        String command = m.group(1);
        List<String> ci = Files.readAllLines(top.resolve(".ci/run")).stream()
                .filter(l -> !l.isBlank() && !l.startsWith("#") && !l.startsWith("set ") && !l.startsWith("cd ")).toList();
        assertEquals(List.of("exec " + command), ci, ".ci/run runs the README's command and nothing else");
        assertTrue(Files.isExecutable(top.resolve(command)), command);
        assertTrue(Files.readString(top.resolve(command)).contains("scripts/install-test-deps.sh"),
                "the test command installs what the tests need itself");
    }

    /**
     * The commands the README gives for talking to the demo's agent, run exactly as written from
     * the project folder after scripts/demo.sh (whose default scratch folder, scratch/demo, they
     * name; unix socket paths are too short for a folder below itests/target): both pairs answer,
     * agent:pairs lists both, and the last line stops the agent.
     */
    @Test
    void theReadmesHostCommandsAnswerOnTheDemosBothPairs() throws Exception {
        String readme = Files.readString(top.resolve("README.md"));
        Matcher m = Pattern.compile("talk to it as the cloud hosts would:\\n\\n((?: {4}[^\\n]*\\n)+)").matcher(readme);
        assertTrue(m.find(), "the README shows how to talk to the demo's agent");
        Path demo = top.resolve("scratch/demo");
        String commands = m.group(1);
        assertTrue(commands.contains("--qga ") && commands.contains("agent:pairs"), commands);

        String started = bash("DEMO_SKIP_BUILD=1 scripts/demo.sh");
        assertTrue(started.contains("guest-agent: started"), started);
        Path pidFile = demo.resolve("root/run/guest-agent/guest-agent.pid");
        long pid = Long.parseLong(Files.readString(pidFile).trim());
        String output = bash("set -e\n" + commands.replace("\n    ", "\n").strip());
        try {
            List<String> lines = output.lines().toList();
            assertTrue(lines.contains("0 0.1.0"), output);
            assertTrue(lines.contains("{}"), "guest-ping answered: " + output);
            assertTrue(lines.stream().anyMatch(l -> l.startsWith("nova-json ")) && lines.stream().anyMatch(l -> l.startsWith("qga ")),
                    "agent:pairs lists both pairs: " + output);
            ProcessHandle.of(pid).ifPresent(agent -> agent.onExit().orTimeout(30, TimeUnit.SECONDS).join());
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "the kill line stops it");
        } finally {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
        }
    }

    private String bash(String command) throws Exception {
        Process p = new ProcessBuilder("bash", "-c", command).directory(top.toFile()).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), command);
        return new String(out, StandardCharsets.UTF_8);
    }
}
