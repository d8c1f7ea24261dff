package org.guestagent.itests.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.guestagent.itests.support.AgentBundles;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The README's first command, as a newcomer runs it (minus the build, done by the reactor):
 * scripts/demo.sh starts the distribution with both pairs on a scratch root -- the Xen pair on the
 * embedded simulator, the KVM pair on a unix-listen socket -- and the host-side client gets
 * answers over XenStore (version, features, a password, resetnetwork) and over QGA (guest-ping,
 * guest-get-osinfo), and agent:pairs lists both pairs.
 */
class DemoScriptTest {
    private final Path top = AgentBundles.projectRoot();
    private final Path demo = AgentBundles.scratch("demo");
    private final Path root = demo.resolve("root");

    @AfterEach
    void stopAgent() throws Exception {
        Path pidFile = root.resolve("run/guest-agent/guest-agent.pid");
        if (Files.isRegularFile(pidFile)) {
            ProcessHandle.of(Long.parseLong(Files.readString(pidFile).trim())).ifPresent(agent -> {
                agent.destroy();
                agent.onExit().orTimeout(30, TimeUnit.SECONDS).join();
            });
        }
    }

    @Test
    void demoStartsTheAgentOnTheSimulatorAndTheHostGetsAnswers() throws Exception {
        String output = run(List.of(top.resolve("scripts/demo.sh").toString()));
        assertTrue(output.contains("\n0 0.1.0\n"), output);
        assertTrue(output.contains("0 agentupdate,features,file_inject,injectfile,keyinit,kmsactivate,password,"
                + "resetnetwork,version\n"), output);
        assertTrue(output.contains("== the KVM host asks: guest-ping\n{}\n"), output);
        assertTrue(output.contains("\"pretty-name\":\"Debian GNU/Linux 12 (bookworm)\""), "guest-get-osinfo reads the scratch root: " + output);
        Path qga = root.resolve("run/guest-agent/qga.sock");
        assertTrue(output.lines().anyMatch(l -> l.startsWith("nova-json ") && l.contains("xenstore:socket:" + root.resolve("run/guest-agent/xenstored.sock"))),
                "agent:pairs shows the Xen pair: " + output);
        assertTrue(output.lines().anyMatch(l -> l.startsWith("qga ") && l.contains("unix-listen:" + qga)), "agent:pairs shows the KVM pair: " + output);
        String log = Files.readString(root.resolve("var/log/guest-agent.log"));
        assertTrue(log.contains("features guest-agent-core,guest-agent-xen,guest-agent-kvm,guest-agent-shell,guest-agent-dev,"), "auto became guest-agent-xen and -kvm: " + log.lines().filter(l -> l.contains("starting")).toList());

        String shadowRoot = Files.readAllLines(root.resolve("etc/shadow")).get(0);
        assertTrue(shadowRoot.startsWith("root:$6$"), "the password was set: " + shadowRoot.substring(0, 8));

        String client = top.resolve("launcher/target/guest-agent/bin/guest-agent-client").toString();
        String answer = run(List.of(client, "resetnetwork", "--networking",
                top.resolve("scripts/demo-networking.json").toString()));
        assertEquals("0 \n", answer);
        String interfaces = Files.readString(root.resolve("etc/network/interfaces"));
        assertTrue(interfaces.contains("iface eth0 inet static\n    address 192.0.2.42\n"), interfaces);
        assertEquals("demo-web1\n", Files.readString(root.resolve("etc/hostname")));
        List<String> actions = Files.readAllLines(root.resolve("var/lib/guest-agent/actions.log"));
        assertTrue(actions.contains("sethostname demo-web1"), actions.toString());
    }

    /**
     * Running the demo again stops the agent of the first run (waiting for that process only, not
     * for the whole 10 s bound) and starts a new one; the output has no terminal colour codes.
     */
    @Test
    void demoRunsAgainOverItsOwnPreviousAgent() throws Exception {
        Path pidFile = root.resolve("run/guest-agent/guest-agent.pid");
        String first = run(List.of(top.resolve("scripts/demo.sh").toString()));
        long firstPid = Long.parseLong(Files.readString(pidFile).trim());
        String second = run(List.of(top.resolve("scripts/demo.sh").toString()));
        assertTrue(second.contains("== stopping the previous demo agent (pid " + firstPid + ")"), second);
        assertFalse(second.contains("did not stop"), second);
        assertFalse(ProcessHandle.of(firstPid).map(ProcessHandle::isAlive).orElse(false), "the first agent is gone");
        long secondPid = Long.parseLong(Files.readString(pidFile).trim());
        assertNotEquals(firstPid, secondPid);
        assertTrue(ProcessHandle.of(secondPid).map(ProcessHandle::isAlive).orElse(false), "a new agent runs");
        assertTrue(second.contains("\n0 0.1.0\n"), second);
        assertFalse((first + second).contains("\u001b["), "no colour codes: " + second);
    }

    private String run(List<String> command) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("DEMO_SKIP_BUILD", "1");
        builder.environment().put("DEMO_DIR", demo.toString());
        builder.environment().put("XENSTORED_PATH", root.resolve("run/guest-agent/xenstored.sock").toString());
        Process process = builder.start();
        byte[] out = process.getInputStream().readAllBytes();
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "finished within 2 minutes");
        String text = new String(out, StandardCharsets.UTF_8);
        assertEquals(0, process.exitValue(), text);
        return text;
    }
}
