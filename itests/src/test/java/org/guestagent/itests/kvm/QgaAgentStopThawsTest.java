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
 * the frozen image then ends. Needs root, mkfs.ext4 and mount, and the built distribution.
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

    @Test
    public void aSigtermWhileFrozenThaws() throws Exception {
        assumeTrue("fsfreeze needs root (mount -o loop, FIFREEZE): skipped, not root", isRoot());
        assumeTrue("mkfs.ext4 (e2fsprogs) or mount is missing: scripts/install-test-deps.sh", onPath("mkfs.ext4") && onPath("mount"));
        Path dir = AgentBundles.scratch("qga-stop-thaws");
        Path image = dir.resolve("ext4.img");
        try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "rw")) {
            file.setLength(64L << 20);
        }
        run("mkfs.ext4", "-q", "-F", image.toString());
        Path mnt = Files.createDirectories(dir.resolve("mnt"));
        run("mount", "-o", "loop", image.toString(), mnt.toString());
        mountPoint = mnt;

        Path home = Distribution.copyInto(dir);
        Path socket = dir.resolve("agent.sock");
        Files.writeString(home.resolve("config/org.guestagent.exchange.virtioserial.cfg"),
                "mode = unix-listen\npath = " + socket + "\n");
        Files.writeString(home.resolve("config/org.guestagent.system.actions.cfg"), "mode = real\n");
        Path root = Files.createDirectories(dir.resolve("root"));
        agent = new ProcessBuilder(home.resolve("bin/guest-agent").toString(), "--foreground", "--root", root.toString(),
                "--features", "guest-agent-core,guest-agent-kvm", "--pidfile", dir.resolve("agent.pid").toString(),
                "--logfile", dir.resolve("agent.log").toString())
                .directory(dir.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true).redirectOutput(dir.resolve("console.txt").toFile()).start();

        String freezeList = "{\"execute\":\"guest-fsfreeze-freeze-list\",\"arguments\":{\"mountpoints\":[\"" + mnt + "\"]}}";
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        JsonNode frozen = null;
        while (frozen == null) {
            assertTrue("the agent did not freeze the image within 90 s; see " + dir, System.nanoTime() < deadline && agent.isAlive());
            try {
                JsonNode answer = ask(socket, freezeList);
                if (answer.has("return")) {
                    frozen = answer;
                }
            } catch (IOException e) {
                // not listening yet
            }
            if (frozen == null) {
                Thread.sleep(200);
            }
        }
        assertEquals(frozen.toString(), "1", frozen.get("return").toString());
        Process writer = new ProcessBuilder("sh", "-c", "printf %s stopped > \"$1\"", "writer", mnt.resolve("after-stop.txt").toString())
                .start();
        assertFalse("the write ended while the file system was frozen", writer.waitFor(3, TimeUnit.SECONDS));

        agent.destroy(); // SIGTERM
        assertTrue("the agent did not end within 40 s of SIGTERM", agent.waitFor(40, TimeUnit.SECONDS));
        assertTrue("the write did not end after the agent stopped: the image stayed frozen", writer.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, writer.exitValue());
        assertEquals("stopped", Files.readString(mnt.resolve("after-stop.txt")));
    }
}
