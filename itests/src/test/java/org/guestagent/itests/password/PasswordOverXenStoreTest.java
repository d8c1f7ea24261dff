package org.guestagent.itests.password;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.options;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.inject.Inject;

import org.guestagent.api.runtime.PairingRegistry;
import org.guestagent.api.system.GuestFiles;
import org.guestagent.itests.support.AgentBundles;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * The whole path of a password reset: the host-side client (its own process, its own
 * Diffie-Hellman and AES code) performs keyinit and password over the XenStore simulator; the
 * agent in the container answers through the XenStore exchange and rewrites /etc/shadow below a
 * scratch root. The new hash is checked with Python's crypt, not with the agent's code.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class PasswordOverXenStoreTest {

    static final String SIMULATOR = "org.guestagent.xenstore-simulator";
    static final String OTHER_LINES = "daemon:*:19000:0:99999:7:::\nbin:*:19000:0:99999:7:::\n"
            + "alice:$6$abcdefgh$xyz:19500:0:99999:7:::\n";

    @Inject
    private BundleContext context;
    @Inject
    private PairingRegistry pairs;
    @Inject
    private GuestFiles files;
    @Inject
    private ConfigurationAdmin configurations;

    private Path socket;

    @Configuration
    public Option[] config() throws IOException {
        Path root = AgentBundles.scratch("guest-root");
        return options(AgentBundles.foundation(),
                AgentBundles.seam(),
                AgentBundles.ours("bundles/ops-password"),
                AgentBundles.ours("bundles/commands-password"),
                AgentBundles.ours("bundles/xenstore-client"),
                AgentBundles.ours("bundles/exchange-xenstore"),
                // started by the test once it has its own socket path (never the shared default)
                bundle(AgentBundles.jar("bundles/xenstore-simulator").toURI().toString()).start(false),
                frameworkProperty("guestagent.root").value(root.toString()));
    }

    @Before
    public void startSimulator() throws Exception {
        socket = Files.createTempDirectory("xenstored").resolve("socket");
        Hashtable<String, Object> properties = new Hashtable<>();
        properties.put("socket.path", socket.toString());
        properties.put("guest.domid", 1);
        configurations.getConfiguration(SIMULATOR.replace('-', '.'), "?").update(properties);
        for (Bundle bundle : context.getBundles()) {
            if (bundle.getSymbolicName().equals(SIMULATOR) && bundle.getState() != Bundle.ACTIVE) {
                bundle.start();
            }
        }
        for (int i = 0; i < 100 && (!Files.exists(socket) || pairs.pairs().stream().noneMatch(p -> p.protocol().equals("nova-json"))); i++) {
            Thread.sleep(100);
        }
        Path shadow = files.resolve("/etc/shadow");
        Files.createDirectories(shadow.getParent());
        Files.writeString(shadow, "root:!:19000:0:99999:7:::\n" + OTHER_LINES);
        Files.setAttribute(shadow, "unix:mode", 0640);
    }

    @Test
    public void theHostClientResetsRootsPassword() throws Exception {
        Result result = hostClient("password", "Xen-h0st pass");
        assertEquals(result.output, 0, result.exitCode);

        String shadow = Files.readString(files.resolve("/etc/shadow"));
        String hash = shadow.lines().findFirst().orElseThrow().split(":")[1];
        assertTrue(hash, hash.matches("\\$6\\$[./0-9A-Za-z]{16}\\$.+"));
        assertTrue("Python's crypt accepts the new password", pythonVerifies("Xen-h0st pass", hash));
        assertTrue(shadow, shadow.endsWith(OTHER_LINES));
        assertEquals(0640, (Integer) Files.getAttribute(files.resolve("/etc/shadow"), "unix:mode") & 0777);
    }

    @Test
    public void aPasswordWithoutKeyinitGetsTheProtocolsAnswer() throws Exception {
        String before = Files.readString(files.resolve("/etc/shadow"));
        Result result = hostClient("raw", "password", "\"AAAAAAAAAAAAAAAAAAAAAA==\"");
        assertEquals(result.output, 1, result.exitCode);
        assertTrue(result.output, result.output.contains("500 Password without key exchange"));
        assertEquals(before, Files.readString(files.resolve("/etc/shadow")));
    }

    private record Result(int exitCode, String output) {
    }

    /** The host-side client as the host runs it: a process of its own. */
    private Result hostClient(String... args) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
                "org.guestagent.hostclient.HostClient", "--socket", socket.toString(), "--domid", "1", "--timeout", "30"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue("the host client finished", process.waitFor(60, TimeUnit.SECONDS));
        return new Result(process.exitValue(), output);
    }

    private static boolean pythonVerifies(String password, String hash) throws Exception {
        Process process = new ProcessBuilder("/usr/bin/python3", "-W", "ignore", "-c",
                "import crypt, sys; print(crypt.crypt(sys.argv[1], sys.argv[2]) == sys.argv[2])", password, hash)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        process.getOutputStream().close();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        return out.equals("True");
    }
}
