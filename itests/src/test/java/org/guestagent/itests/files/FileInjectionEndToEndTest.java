package org.guestagent.itests.files;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.options;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Hashtable;
import java.util.List;
import java.util.Random;
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
 * Issue 5 end to end: the host-side client, run as its own program the way an operator runs
 * {@code guest-agent-client}, talks to the agent over the XenStore simulator. The old and the new
 * message form land the same bytes below the agent's root.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class FileInjectionEndToEndTest {

    private static final String SIMULATOR_PID = "org.guestagent.xenstore.simulator";
    private static final String SIMULATOR_BUNDLE = "org.guestagent.xenstore-simulator";

    @Inject
    private BundleContext context;
    @Inject
    private ConfigurationAdmin configAdmin;
    @Inject
    private GuestFiles files;
    @Inject
    private PairingRegistry pairs;

    private static Path work;
    private static Path hostSocket;

    @Configuration
    public Option[] config() throws IOException {
        Path root = AgentBundles.scratch("guest-root");
        return options(AgentBundles.foundation(),
                AgentBundles.seam(),
                AgentBundles.ours("bundles/ops-files"),
                AgentBundles.ours("bundles/commands-files"),
                AgentBundles.ours("bundles/xenstore-client"),
                AgentBundles.ours("bundles/exchange-xenstore"),
                // started once it has private sockets, never the shared default
                bundle(AgentBundles.jar("bundles/xenstore-simulator").toURI().toString()).start(false),
                frameworkProperty("guestagent.root").value(root.toString()));
    }

    /** The simulator on private sockets: one for the guest (the agent), one acting as dom0 (the host). */
    @Before
    public void startSimulator() throws Exception {
        if (work == null) {
            work = Files.createTempDirectory("files-e2e");
            hostSocket = work.resolve("host.sock");
            Hashtable<String, Object> simulator = new Hashtable<>();
            simulator.put("socket.path", work.resolve("guest.sock").toString());
            simulator.put("dom0.socket.path", hostSocket.toString());
            simulator.put("guest.domid", 1);
            configAdmin.getConfiguration(SIMULATOR_PID, "?").update(simulator);
        }
        for (Bundle bundle : context.getBundles()) {
            if (bundle.getSymbolicName().equals(SIMULATOR_BUNDLE) && bundle.getState() != Bundle.ACTIVE) {
                bundle.start();
            }
        }
        for (int i = 0; i < 100 && (!Files.exists(hostSocket) || pairs.pairs().stream().noneMatch(p -> p.protocol().equals("nova-json"))); i++) {
            Thread.sleep(100);
        }
        assertTrue("the simulator listens on " + hostSocket, Files.exists(hostSocket));
    }

    @Test
    public void bothMessageFormsThroughTheHostClientLandTheSameBytes() throws Exception {
        byte[] contents = new byte[2048];
        new Random(55).nextBytes(contents);
        Path local = Files.write(work.resolve("payload.bin"), contents);

        // the client's injectfile asks for features first and, finding file_inject, uses the new form
        assertEquals("exit 0, printed: 0", client("injectfile", "/srv/new-form.bin", local.toString()));
        // the old form, as hosts without file_inject send it
        byte[] old = concat("/srv/old-form.bin,".getBytes(StandardCharsets.UTF_8), contents);
        assertEquals("exit 0, printed: 0", client("raw", "injectfile", "\"" + Base64.getEncoder().encodeToString(old) + "\""));

        assertArrayEquals(contents, Files.readAllBytes(files.root().resolve("srv/new-form.bin")));
        assertArrayEquals(contents, Files.readAllBytes(files.root().resolve("srv/old-form.bin")));
    }

    @Test
    public void aRefusedPathComesBackAsA500() throws Exception {
        String relative = Base64.getEncoder().encodeToString("etc/motd,hi".getBytes(StandardCharsets.UTF_8));
        assertEquals("exit 1, printed: 500 The path etc/motd is not absolute", client("raw", "injectfile", "\"" + relative + "\""));
    }

    /** Runs guest-agent-client as its own program (bounded in time): its exit status and what it printed. */
    private String client(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "org.guestagent.hostclient.HostClient",
                "--socket", hostSocket.toString(), "--domid", "1", "--timeout", "20"));
        command.addAll(Arrays.asList(args));
        File output = work.resolve("client.out").toFile();
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output).start();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("guest-agent-client did not finish within 60 s");
        }
        return "exit " + process.exitValue() + ", printed: " + Files.readString(output.toPath()).strip();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] result = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, result, a.length, b.length);
        return result;
    }
}
