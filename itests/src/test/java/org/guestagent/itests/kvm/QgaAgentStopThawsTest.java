package org.guestagent.itests.kvm;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assume.assumeTrue;
import static org.guestagent.itests.kvm.LoopImages.isRoot;
import static org.guestagent.itests.kvm.LoopImages.onPath;
import static org.guestagent.itests.kvm.LoopImages.run;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.guestagent.itests.support.AgentBundles;
import org.guestagent.itests.support.Distribution;
import org.junit.After;
import org.junit.Test;

/**
 * The built agent (bin/guest-agent --features guest-agent-core,guest-agent-kvm, system actions real) freezes a
 * loop-mounted ext4 image for a host, and a SIGTERM to the agent thaws it: a writer that waited on
 * the frozen image then ends; one killed while frozen is followed by an agent that starts frozen.
 * Needs root, mkfs.ext4 and mount, and the built distribution.
 */
public class QgaAgentStopThawsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Path mountPoint;
    private Process agent;

    @After
    public void cleanUp() throws Exception {
        if (agent != null && agent.isAlive()) {
            agent.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
        if (mountPoint != null) {
            new ProcessBuilder("fsfreeze", "--unfreeze", mountPoint.toString()).start().waitFor(30, TimeUnit.SECONDS);
            run("umount", mountPoint.toString());
        }
    }

    private static JsonNode ask(Path socket, String request) throws Exception {
        try (QgaHost host = new QgaHost(socket)) {
            host.write(request);
            byte[] line = host.answer();
            assertNotNull("an answer to " + request, line);
            return JSON.readTree(line);
        }
    }

    /** A mounted ext4 image of its own under the scratch folder; its mount point. */
    private Path mountedImage(Path dir) throws Exception {
        assumeTrue("fsfreeze needs root (mount -o loop, FIFREEZE): skipped, not root", isRoot());
        assumeTrue("mkfs.ext4 (e2fsprogs) or mount is missing: scripts/install-test-deps.sh", onPath("mkfs.ext4") && onPath("mount"));
        Path image = dir.resolve("ext4.img");
        try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "rw")) {
            file.setLength(64L << 20);
        }
        run("mkfs.ext4", "-q", "-F", image.toString());
        Path mnt = Files.createDirectories(dir.resolve("mnt"));
        run("mount", "-o", "loop", image.toString(), mnt.toString());
        mountPoint = mnt;
        return mnt;
    }

    /** The distribution copied into dir, its QGA pair on dir/agent.sock, its system actions real. */
    private static Path distribution(Path dir) throws Exception {
        Path home = Distribution.copyInto(dir);
        Files.writeString(home.resolve("config/org.guestagent.exchange.virtioserial.cfg"),
                "mode = unix-listen\npath = " + dir.resolve("agent.sock") + "\n");
        Files.writeString(home.resolve("config/org.guestagent.system.actions.cfg"), "mode = real\n");
        return home;
    }

    /** Starts the agent (--root dir/root, the kvm pair); the console and log go to dir. */
    private Process start(Path home, Path dir, String name) throws Exception {
        Path root = Files.createDirectories(dir.resolve("root"));
        agent = new ProcessBuilder(home.resolve("bin/guest-agent").toString(), "--foreground", "--root", root.toString(),
                "--features", "guest-agent-core,guest-agent-kvm", "--pidfile", dir.resolve(name + ".pid").toString(),
                "--logfile", dir.resolve(name + ".log").toString())
                .directory(dir.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true).redirectOutput(dir.resolve(name + "-console.txt").toFile()).start();
        return agent;
    }

    /** Asks until the agent answers with a return (it is starting), within 90 s; that answer. */
    private JsonNode askUntilReturned(Path socket, String request, Path dir) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (true) {
            assertTrue("the agent did not answer " + request + " within 90 s; see " + dir, System.nanoTime() < deadline && agent.isAlive());
            try {
                JsonNode answer = ask(socket, request);
                if (answer.has("return")) {
                    return answer;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(200);
        }
    }

    private static String freezeList(Path mnt) {
        return "{\"execute\":\"guest-fsfreeze-freeze-list\",\"arguments\":{\"mountpoints\":[\"" + mnt + "\"]}}";
    }

    private static Process writer(Path file, String text) throws IOException {
        return new ProcessBuilder("sh", "-c", "printf %s \"$1\" > \"$2\"", "writer", text, file.toString()).start();
    }

    @Test
    public void aSigtermWhileFrozenThaws() throws Exception {
        Path dir = AgentBundles.scratch("qga-stop-thaws");
        Path mnt = mountedImage(dir);
        Path home = distribution(dir);
        start(home, dir, "agent");

        JsonNode frozen = askUntilReturned(dir.resolve("agent.sock"), freezeList(mnt), dir);
        assertEquals(frozen.toString(), "1", frozen.get("return").toString());
        Process writer = writer(mnt.resolve("after-stop.txt"), "stopped");
        assertFalse("the write ended while the file system was frozen", writer.waitFor(3, TimeUnit.SECONDS));

        agent.destroy(); // SIGTERM
        assertTrue("the agent did not end within 40 s of SIGTERM", agent.waitFor(40, TimeUnit.SECONDS));
        assertTrue("the write did not end after the agent stopped: the image stayed frozen", writer.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, writer.exitValue());
        assertEquals("stopped", Files.readString(mnt.resolve("after-stop.txt")));
        assertFalse("the frozen file is gone after the stop", Files.exists(dir.resolve("root/run/guest-agent/qga.state.isfrozen")));
    }

    /**
     * An agent killed (SIGKILL: no thaw) while frozen leaves the image frozen and its frozen file
     * under --root; the next agent starts frozen, as qemu-ga does: the commands outside qemu-ga's
     * freeze allow-list are disabled until the host thaws, which thaws the image.
     */
    @Test
    public void anAgentKilledWhileFrozenIsFollowedByAFrozenAgentUntilTheThaw() throws Exception {
        Path dir = AgentBundles.scratch("qga-kill-frozen");
        Path mnt = mountedImage(dir);
        Path home = distribution(dir);
        Path socket = dir.resolve("agent.sock");
        Path frozenFile = dir.resolve("root/run/guest-agent/qga.state.isfrozen");
        start(home, dir, "first");
        assertEquals("1", askUntilReturned(socket, freezeList(mnt), dir).get("return").toString());
        assertTrue("the frozen file " + frozenFile, Files.exists(frozenFile));
        agent.destroyForcibly(); // SIGKILL: the image stays frozen
        assertTrue("the killed agent did not end", agent.waitFor(40, TimeUnit.SECONDS));
        Process writer = writer(mnt.resolve("after-restart.txt"), "thawed by the next agent");
        assertFalse("the write ended while the file system was frozen", writer.waitFor(3, TimeUnit.SECONDS));

        Files.deleteIfExists(socket);
        start(home, dir, "second");
        assertEquals("{\"return\":\"frozen\"}", askUntilReturned(socket, "{\"execute\":\"guest-fsfreeze-status\"}", dir).toString());
        assertEquals("{\"error\":{\"class\":\"CommandNotFound\",\"desc\":\"Command guest-get-osinfo has been disabled: "
                + "the agent is in frozen state\"}}", ask(socket, "{\"execute\":\"guest-get-osinfo\"}").toString());
        assertEquals("{\"return\":{}}", ask(socket, "{\"execute\":\"guest-ping\"}").toString());
        assertTrue("the image is still frozen", writer.isAlive());
        assertEquals("1", ask(socket, "{\"execute\":\"guest-fsfreeze-thaw\"}").get("return").toString());
        assertTrue("the write did not end after the thaw", writer.waitFor(60, TimeUnit.SECONDS));
        assertEquals("thawed by the next agent", Files.readString(mnt.resolve("after-restart.txt")));
        assertTrue(ask(socket, "{\"execute\":\"guest-get-osinfo\"}").has("return"));
        assertFalse("the frozen file is gone after the thaw", Files.exists(frozenFile));
    }
}
