package org.guestagent.itests.xenstore;

import static org.guestagent.itests.support.Json.answer;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assume.assumeTrue;
import static org.ops4j.pax.exam.CoreOptions.options;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Hashtable;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import javax.inject.Inject;

import org.guestagent.api.runtime.PairingRegistry;
import org.guestagent.itests.support.AgentBundles;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * The agent in the real container on the embedded XenStore simulator; Debian's real XenStore
 * clients (xenstore-utils through XENSTORED_PATH, python3-pyxs) act as the host against it.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class XenStoreInContainerTest {

    private static final String PYTHON = "/usr/bin/python3";
    private static final int DOMID = 3;

    @Inject
    private BundleContext context;
    @Inject
    private PairingRegistry pairs;
    @Inject
    private ConfigurationAdmin configAdmin;

    private static Path socket;

    @Configuration
    public Option[] config() {
        return options(AgentBundles.foundation(),
                AgentBundles.ours("bundles/xenstore-client"),
                AgentBundles.ours("bundles/xenstore-simulator"),
                AgentBundles.ours("bundles/exchange-xenstore"));
    }

    /** Moves the simulator to a private socket and waits until the exchange serves there. */
    @Before
    public void simulatorOnAScratchSocket() throws Exception {
        if (socket == null) {
            socket = Files.createTempDirectory("xenstore-itest").resolve("socket");
            Hashtable<String, Object> props = new Hashtable<>();
            props.put("socket.path", socket.toString());
            props.put("guest.domid", DOMID);
            configAdmin.getConfiguration("org.guestagent.xenstore.simulator", "?").update(props);
        }
        String exchange = "xenstore:socket:" + socket;
        for (int i = 0; i < 300 && pairs.pairs().stream().noneMatch(p -> p.exchange().equals(exchange)); i++) {
            Thread.sleep(50);
        }
        assertTrue("the XenStore exchange pairs on " + socket + ": " + pairs.pairs(),
                pairs.pairs().stream().anyMatch(p -> p.exchange().equals(exchange)));
    }

    private static void assumeInstalled(String binary, String pkg) {
        assumeTrue(binary + " is missing: install the Debian package " + pkg + " (scripts/install-test-deps.sh)",
                Files.isExecutable(Path.of(binary)));
    }

    private static String run(String... command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("XENSTORED_PATH", socket.toString());
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(String.join(" ", command) + " did not finish", p.waitFor(30, TimeUnit.SECONDS));
        String text = new String(out, StandardCharsets.UTF_8);
        assertEquals(String.join(" ", command) + ": " + text, 0, p.exitValue());
        return text;
    }

    /** The host's way with xenstore-utils: write the request, poll for the answer every 0.1 s. */
    private static String askWithXenstoreUtils(String body) throws Exception {
        String id = UUID.randomUUID().toString();
        String home = "/local/domain/" + DOMID;
        run("/usr/bin/xenstore-write", home + "/data/host/" + id, body);
        for (int i = 0; i < 100; i++) {
            if (run("/usr/bin/xenstore-list", home + "/data/guest").lines().anyMatch(id::equals)) {
                String answer = run("/usr/bin/xenstore-read", home + "/data/guest/" + id).strip();
                assertTrue("the request node is removed",
                        run("/usr/bin/xenstore-list", home + "/data/host").lines().noneMatch(id::equals));
                run("/usr/bin/xenstore-rm", home + "/data/guest/" + id);
                return answer;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no answer to " + body + " within 10 s");
    }

    @Test
    public void xenstoreUtilsAsTheHostGetAnswers() throws Exception {
        assumeInstalled("/usr/bin/xenstore-write", "xenstore-utils");
        String version = askWithXenstoreUtils("{\"name\": \"version\", \"value\": \"agent\"}");
        assertTrue(version, version.startsWith("{\"returncode\":\"0\",\"message\":\""));
        assertEquals(answer("404", "No such agent command 'nosuch'"), askWithXenstoreUtils("{\"name\": \"nosuch\", \"value\": \"\"}"));
        assertEquals(answer("500", "Request is malformed"), askWithXenstoreUtils("this is not json"));
    }

    /** bin/guest-agent-client's main, run as its own process on the plain jars. */
    @Test
    public void theHostClientGetsAnswersAndExitCodes() throws Exception {
        String m2 = System.getProperty("org.ops4j.pax.url.mvn.localRepository", System.getProperty("user.home") + "/.m2/repository");
        String jackson = m2 + "/com/fasterxml/jackson/core/";
        String v = "2.18.2";
        String classpath = String.join(":", AgentBundles.jar("bundles/host-client").toString(),
                AgentBundles.jar("bundles/xenstore-client").toString(),
                jackson + "jackson-databind/" + v + "/jackson-databind-" + v + ".jar",
                jackson + "jackson-core/" + v + "/jackson-core-" + v + ".jar",
                jackson + "jackson-annotations/" + v + "/jackson-annotations-" + v + ".jar");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> base = List.of(java, "-cp", classpath, "org.guestagent.hostclient.HostClient",
                "--socket", socket.toString(), "--domid", Integer.toString(DOMID), "--timeout", "20");

        Process version = new ProcessBuilder(concat(base, "version")).redirectErrorStream(true).start();
        String out = new String(version.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(version.waitFor(30, TimeUnit.SECONDS));
        assertEquals(out, 0, version.exitValue());
        assertTrue(out, out.startsWith("0 "));

        Process unknown = new ProcessBuilder(concat(base, "raw", "nosuch", "\"\"")).redirectErrorStream(true).start();
        out = new String(unknown.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(unknown.waitFor(30, TimeUnit.SECONDS));
        assertEquals("404 No such agent command 'nosuch'\n", out);
        assertEquals(1, unknown.exitValue());
    }

    private static List<String> concat(List<String> base, String... more) {
        List<String> all = new java.util.ArrayList<>(base);
        all.addAll(List.of(more));
        return all;
    }

    @Test
    public void pyxsAsTheHostGetsFeaturesThroughAWatch() throws Exception {
        assumeInstalled(PYTHON, "python3-pyxs");
        String script = String.join("\n",
                "import sys, uuid",
                "from pyxs import Client",
                "home = b'/local/domain/" + DOMID + "'",
                "rid = str(uuid.uuid4()).encode()",
                "with Client(unix_socket_path=sys.argv[1]) as c:",
                "    with c.monitor() as m:",
                "        m.watch(home + b'/data/guest/' + rid, b'answer')",
                "        c[home + b'/data/host/' + rid] = b'{\"name\": \"features\", \"value\": \"\"}'",
                "        for path, token in m.wait():",
                "            if c.exists(home + b'/data/guest/' + rid):",
                "                break",
                "        print(c[home + b'/data/guest/' + rid].decode())",
                "        print(c.exists(home + b'/data/host/' + rid))");
        List<String> lines = run("/usr/bin/timeout", "30", PYTHON, "-c", script, socket.toString()).strip().lines().toList();
        assertTrue(lines.toString(), lines.get(0).startsWith("{\"returncode\":\"0\",\"message\":\""));
        assertTrue(lines.get(0), lines.get(0).contains("version") && lines.get(0).contains("features"));
        assertEquals("False", lines.get(1));
    }
}
