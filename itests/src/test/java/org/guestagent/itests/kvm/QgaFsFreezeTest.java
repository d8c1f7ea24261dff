package org.guestagent.itests.kvm;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assume.assumeTrue;
import static org.guestagent.itests.kvm.LoopImages.isRoot;
import static org.guestagent.itests.kvm.LoopImages.onPath;
import static org.guestagent.itests.kvm.LoopImages.run;
import static org.ops4j.pax.exam.CoreOptions.options;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.inject.Inject;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.guestagent.api.runtime.PairingRegistry;
import org.guestagent.api.system.GuestFiles;
import org.guestagent.itests.support.AgentBundles;
import org.guestagent.itests.support.Await;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.FrameworkUtil;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * guest-fsfreeze-* on a real file system: a loop-mounted ext4 image, frozen with FIFREEZE through
 * the QGA pair (the system actions set to real), while a writer process waits; thawed by the host,
 * by the agent's own timeout, and by stopping the command bundle. Needs root (mount, FIFREEZE),
 * mkfs.ext4 (e2fsprogs) and mount; skips without them.
 * <p>
 * The image is mounted in the machine's mount namespace, not in one of its own: the agent runs in
 * this JVM, whose threads cannot enter another mount namespace (setns needs a single-threaded
 * process), and a freeze acts on the file system, not on a mount, so a namespace would not narrow
 * it anyway. Only the image's mount point is ever named (guest-fsfreeze-freeze-list); the test
 * never sends guest-fsfreeze-freeze, which would freeze every file system of the machine.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class QgaFsFreezeTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String FSFREEZE_PID = "org.guestagent.commands.qga.fsfreeze";

    @Inject
    private PairingRegistry pairs;
    @Inject
    private ConfigurationAdmin configAdmin;
    @Inject
    private GuestFiles files;

    private static Path socket;
    private Path scratch;
    private Path mountPoint;

    @Configuration
    public Option[] config() {
        return options(AgentBundles.foundation(),
                AgentBundles.allCommands(AgentBundles.scratch("qga-fsfreeze-root")),
                QgaInContainer.bundles());
    }

    /** Once: the QGA pair on a socket and the system actions real (static: the container lives for the class). */
    @Before
    public void imageMountedAndPairListening() throws Exception {
        assumeTrue("fsfreeze needs root (mount -o loop, FIFREEZE): skipped, not root", isRoot());
        assumeTrue("mkfs.ext4 (e2fsprogs) or mount is missing: scripts/install-test-deps.sh", onPath("mkfs.ext4") && onPath("mount"));
        if (socket == null) {
            socket = AgentBundles.scratch("qga-fsfreeze-socket").resolve("agent.sock");
            QgaInContainer.listen(configAdmin, pairs, socket);
            QgaInContainer.realSystemActions(configAdmin);
        }
        QgaInContainer.awaitServing(pairs, socket);
        Await.until("guest-fsfreeze-status answers", Duration.ofSeconds(60), () -> ask("{\"execute\":\"guest-fsfreeze-status\"}").has("return"));

        // each test its own image (Pax Exam runs @AfterClass after every test method, so per test it is)
        scratch = AgentBundles.scratch("qga-fsfreeze");
        Path image = scratch.resolve("ext4.img");
        try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "rw")) {
            file.setLength(64L << 20);
        }
        run("mkfs.ext4", "-q", "-F", image.toString());
        mountPoint = Files.createDirectories(scratch.resolve("mnt"));
        run("mount", "-o", "loop", image.toString(), mountPoint.toString());
    }

    @After
    public void unmount() throws Exception {
        if (mountPoint != null) {
            // whatever happened above, leave nothing frozen or mounted, and the agent thawed
            try {
                ask("{\"execute\":\"guest-fsfreeze-thaw\"}");
            } catch (Exception | AssertionError e) {
                // the unfreeze below still runs
            }
            new ProcessBuilder("fsfreeze", "--unfreeze", mountPoint.toString()).start().waitFor(30, TimeUnit.SECONDS);
            run("umount", mountPoint.toString());
            mountPoint = null;
        }
    }

    private static JsonNode ask(String request) throws Exception {
        try (QgaHost host = new QgaHost(socket)) {
            host.write(request);
            byte[] line = host.answer();
            assertNotNull("an answer to " + request, line);
            return JSON.readTree(line);
        }
    }

    private String freezeList() {
        return "{\"execute\":\"guest-fsfreeze-freeze-list\",\"arguments\":{\"mountpoints\":[\"" + mountPoint + "\"]}}";
    }

    /** A process that writes a file on the image: while the image is frozen it waits in the kernel. */
    private Process writer(String name, String text) throws IOException {
        return new ProcessBuilder("sh", "-c", "printf %s \"$1\" > \"$2\"", "writer", text, mountPoint.resolve(name).toString()).start();
    }

    /** Shows the writer waiting: still running well after it started (it takes milliseconds otherwise). */
    private static void assertBlocked(Process writer) throws InterruptedException {
        assertTrue("the write ended while the file system was frozen", !writer.waitFor(3, TimeUnit.SECONDS));
    }

    private void assertCompletes(Process writer, String name, String text) throws Exception {
        assertTrue("the write did not end within 60 s of the thaw", writer.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, writer.exitValue());
        assertEquals(text, Files.readString(mountPoint.resolve(name)));
    }

    @Test
    public void aWriteWaitsWhileFrozenAndEndsOnThawWithTheHookAroundBoth() throws Exception {
        Path hookLog = scratch.resolve("hook.log");
        Path hook = files.resolve("/etc/qemu/fsfreeze-hook");
        Files.createDirectories(hook.getParent());
        Files.writeString(hook, "#!/bin/sh\necho \"$1\" >> '" + hookLog + "'\n");
        Files.setPosixFilePermissions(hook, PosixFilePermissions.fromString("rwxr-xr-x"));
        try {
            assertEquals("1", ask(freezeList()).get("return").toString());
            assertEquals("\"frozen\"", ask("{\"execute\":\"guest-fsfreeze-status\"}").get("return").toString());
            Process writer = writer("during-freeze.txt", "written while frozen");
            assertBlocked(writer);
            assertEquals("1", ask("{\"execute\":\"guest-fsfreeze-thaw\"}").get("return").toString());
            assertCompletes(writer, "during-freeze.txt", "written while frozen");
            assertEquals("\"thawed\"", ask("{\"execute\":\"guest-fsfreeze-status\"}").get("return").toString());
            assertEquals("freeze\nthaw\n", Files.readString(hookLog));
        } finally {
            Files.delete(hook);
        }
    }

    @Test
    public void stoppingTheCommandBundleWhileFrozenThaws() throws Exception {
        assertEquals("1", ask(freezeList()).get("return").toString());
        Process writer = writer("during-stop.txt", "written after the stop");
        assertBlocked(writer);
        Bundle commands = null;
        for (Bundle b : FrameworkUtil.getBundle(getClass()).getBundleContext().getBundles()) {
            if (b.getSymbolicName() != null && b.getSymbolicName().endsWith("commands-qga")) {
                commands = b;
            }
        }
        assertNotNull("the commands-qga bundle", commands);
        commands.stop();
        try {
            assertCompletes(writer, "during-stop.txt", "written after the stop");
            assertTrue("the frozen file is gone with the stop", !Files.exists(files.resolve(FROZEN_FILE)));
        } finally {
            commands.start();
        }
        Await.until("guest-get-osinfo answers after the start", Duration.ofSeconds(60), () -> ask(OSINFO).has("return"));
        assertEquals("{\"return\":\"thawed\"}", ask("{\"execute\":\"guest-fsfreeze-status\"}").toString());
    }

    private static final String FROZEN_FILE = "/run/guest-agent/qga.state.isfrozen";
    private static final String OSINFO = "{\"execute\":\"guest-get-osinfo\",\"id\":7}";
    private static final String OSINFO_DISABLED = "{\"error\":{\"class\":\"CommandNotFound\",\"desc\":"
            + "\"Command guest-get-osinfo has been disabled: the agent is in frozen state\"},\"id\":7}";

    /** guest-info's enabled flag of each command. */
    private static java.util.Map<String, Boolean> enabled() throws Exception {
        java.util.Map<String, Boolean> enabled = new java.util.TreeMap<>();
        for (JsonNode c : ask("{\"execute\":\"guest-info\"}").path("return").path("supported_commands")) {
            enabled.put(c.get("name").asText(), c.get("enabled").asBoolean());
        }
        return enabled;
    }

    private static final List<String> ALLOWED_WHILE_FROZEN = List.of("guest-fsfreeze-status", "guest-fsfreeze-thaw",
            "guest-info", "guest-ping", "guest-sync", "guest-sync-delimited");

    @Test
    public void whileFrozenOnlyQemuGasAllowListRunsUntilTheThaw() throws Exception {
        assertEquals("1", ask(freezeList()).get("return").toString());
        try {
            assertEquals(OSINFO_DISABLED, ask(OSINFO).toString());
            assertEquals("{\"error\":{\"class\":\"CommandNotFound\",\"desc\":\"Command guest-fsfreeze-freeze-list has been "
                    + "disabled: the agent is in frozen state\"}}", ask(freezeList()).toString());
            assertEquals("{\"return\":{},\"id\":1}", ask("{\"execute\":\"guest-ping\",\"id\":1}").toString());
            assertEquals("{\"error\":{\"class\":\"CommandNotFound\",\"desc\":\"The command no-such-command has not been found\"}}",
                    ask("{\"execute\":\"no-such-command\"}").toString());
            java.util.Map<String, Boolean> enabled = enabled();
            List<String> enabledNames = enabled.entrySet().stream().filter(java.util.Map.Entry::getValue).map(java.util.Map.Entry::getKey).toList();
            assertEquals("enabled while frozen: " + enabled, ALLOWED_WHILE_FROZEN, enabledNames);
            assertTrue("the frozen file " + files.resolve(FROZEN_FILE), Files.exists(files.resolve(FROZEN_FILE)));
        } finally {
            assertEquals("1", ask("{\"execute\":\"guest-fsfreeze-thaw\"}").get("return").toString());
        }
        assertTrue("guest-get-osinfo answers after the thaw", ask(OSINFO).has("return"));
        assertTrue("every command enabled after the thaw: " + enabled(), enabled().values().stream().allMatch(b -> b));
        assertTrue("the frozen file is gone", !Files.exists(files.resolve(FROZEN_FILE)));
    }

    /**
     * An agent killed while frozen left the image frozen and its frozen file: the commands bundle,
     * started anew, finds the file and disables the commands until the host thaws, which thaws the
     * image for real. (The kill is played by freezing with fsfreeze(8) and writing the file while
     * the bundle is stopped.)
     */
    @Test
    public void anAgentStartedWhileFrozenDisablesUntilTheThaw() throws Exception {
        Bundle commands = commandsBundle();
        commands.stop();
        Path frozenFile = files.resolve(FROZEN_FILE);
        Process writer;
        try {
            run("fsfreeze", "--freeze", mountPoint.toString());
            Files.createDirectories(frozenFile.getParent());
            Files.write(frozenFile, new byte[0]);
            writer = writer("during-restart.txt", "written after the thaw");
        } finally {
            commands.start();
        }
        Await.until("the restarted commands are frozen", Duration.ofSeconds(60),
                () -> ask("{\"execute\":\"guest-fsfreeze-status\"}").toString().equals("{\"return\":\"frozen\"}"));
        assertEquals(OSINFO_DISABLED, ask(OSINFO).toString());
        assertEquals(Boolean.FALSE, enabled().get("guest-get-osinfo"));
        assertBlocked(writer);
        assertEquals("1", ask("{\"execute\":\"guest-fsfreeze-thaw\"}").get("return").toString());
        assertCompletes(writer, "during-restart.txt", "written after the thaw");
        assertTrue(ask(OSINFO).has("return"));
        assertTrue("the frozen file is gone", !Files.exists(frozenFile));
    }

    private static Bundle commandsBundle() {
        for (Bundle b : FrameworkUtil.getBundle(QgaFsFreezeTest.class).getBundleContext().getBundles()) {
            if (b.getSymbolicName() != null && b.getSymbolicName().endsWith("commands-qga")) {
                return b;
            }
        }
        throw new AssertionError("no commands-qga bundle");
    }

    @Test
    public void aFreezeTheHostForgetsIsThawedAfterTheTimeout() throws Exception {
        org.osgi.service.cm.Configuration fsfreeze = configAdmin.getConfiguration(FSFREEZE_PID, "?");
        Hashtable<String, Object> props = new Hashtable<>();
        props.put("timeout.seconds", 2L);
        fsfreeze.update(props);
        try {
            // the component takes the new timeout when it is made again: freeze until a freeze ends by itself
            Await.until("a freeze is thawed by the agent's timeout", Duration.ofSeconds(60), () -> {
                assertEquals("1", ask(freezeList()).get("return").toString());
                Process writer = writer("during-timeout.txt", "written after the timeout");
                boolean ended = writer.waitFor(20, TimeUnit.SECONDS);
                if (!ended) {
                    ask("{\"execute\":\"guest-fsfreeze-thaw\"}");
                    writer.waitFor(60, TimeUnit.SECONDS);
                }
                return ended;
            });
            assertEquals("written after the timeout", Files.readString(mountPoint.resolve("during-timeout.txt")));
            assertEquals("\"thawed\"", ask("{\"execute\":\"guest-fsfreeze-status\"}").get("return").toString());
            assertTrue("commands enabled again after the safety thaw", ask(OSINFO).has("return"));
            assertTrue(enabled().values().stream().allMatch(b -> b));
            assertTrue("the frozen file is gone", !Files.exists(files.resolve(FROZEN_FILE)));
        } finally {
            fsfreeze.delete();
        }
    }
}
