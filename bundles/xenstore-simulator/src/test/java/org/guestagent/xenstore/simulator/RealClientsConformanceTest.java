package org.guestagent.xenstore.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.guestagent.xenstore.XenStoreClient;
import org.guestagent.xenstore.XenStoreTransport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Debian's real XenStore clients against the simulator: xenstore-utils (C, libxenstore, found
 * through XENSTORED_PATH) and python3-pyxs (pure Python).
 */
class RealClientsConformanceTest {

    private static final String PYTHON = "/usr/bin/python3";

    @TempDir
    Path dir;
    XenStoreSimulator simulator;
    Path guestSocket;
    Path hostSocket;
    XenStoreClient host;

    record Result(int exit, String out, String err) {
    }

    @BeforeEach
    void start() throws IOException {
        guestSocket = dir.resolve("guest.sock");
        hostSocket = dir.resolve("host.sock");
        simulator = new XenStoreSimulator(5, null).start(guestSocket).listen(hostSocket, 0);
        host = XenStoreClient.open(XenStoreTransport.unixSocket(hostSocket));
    }

    @AfterEach
    void stop() {
        host.close();
        simulator.stop();
    }

    private static void assumeInstalled(String binary, String pkg) {
        assumeTrue(Files.isExecutable(Path.of(binary)), binary + " is missing: install the Debian package " + pkg
                + " (scripts/install-test-deps.sh) to run this conformance test");
    }

    private Result run(Path socket, String... command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("XENSTORED_PATH", socket.toString());
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish in 20 s");
        }
        return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    private Result ok(Path socket, String... command) throws IOException, InterruptedException {
        Result r = run(socket, command);
        assertEquals(0, r.exit(), String.join(" ", command) + " failed: " + r.err());
        return r;
    }

    @Test
    void xenstoreUtilsWriteReadListLsRm() throws Exception {
        assumeInstalled("/usr/bin/xenstore-write", "xenstore-utils");
        String request = "{\"name\": \"version\", \"value\": \"agent\"}";
        ok(guestSocket, "/usr/bin/xenstore-write", "data/host/r1", request, "/abs/x", "1");
        assertEquals(request, host.readString("/local/domain/5/data/host/r1"), "relative path below the guest's home");
        assertEquals("1", host.readString("/abs/x"));

        assertEquals(request + "\n", ok(guestSocket, "/usr/bin/xenstore-read", "data/host/r1").out());
        assertEquals("r1\n", ok(guestSocket, "/usr/bin/xenstore-list", "data/host").out());
        String ls = ok(hostSocket, "/usr/bin/xenstore-ls", "/local/domain/5").out();
        assertTrue(ls.contains("data = \"\""), ls);
        assertTrue(ls.contains("r1 = \"" + request + "\""), ls);

        ok(guestSocket, "/usr/bin/xenstore-rm", "data/host/r1");
        assertTrue(host.readIfExists("/local/domain/5/data/host/r1").isEmpty());
        Result missing = run(guestSocket, "/usr/bin/xenstore-read", "data/host/r1");
        assertNotEquals(0, missing.exit());
        assertTrue(missing.err().contains("couldn't read path"), missing.err());
    }

    @Test
    void xenstoreUtilsListALargeDirectoryInParts() throws Exception {
        assumeInstalled("/usr/bin/xenstore-list", "xenstore-utils");
        List<String> names = new ArrayList<>();
        host.inTransaction(tx -> {
            for (int i = 0; i < 300; i++) {
                String name = "c1b7d2a0-0000-4000-8000-" + String.format("%012d", i);
                tx.write("/many/" + name, "x");
                names.add(name);
            }
            return null;
        });
        String out = ok(guestSocket, "/usr/bin/xenstore-list", "/many").out();
        assertEquals(String.join("\n", names) + "\n", out);
    }

    @Test
    void xenstoreWatchSeesTheInitialEventAndAChange() throws Exception {
        assumeInstalled("/usr/bin/xenstore-watch", "xenstore-utils");
        ProcessBuilder pb = new ProcessBuilder("/usr/bin/xenstore-watch", "-n", "2", "data/guest");
        pb.environment().put("XENSTORED_PATH", guestSocket.toString());
        Process watch = pb.redirectErrorStream(true).start();
        try {
            // The initial event arrives first; wait for it so the change is surely seen after it.
            byte[] first = watch.getInputStream().readNBytes("data/guest\n".length());
            assertEquals("data/guest\n", new String(first, StandardCharsets.UTF_8));
            host.write("/local/domain/5/data/guest/r1", "{}");
            assertTrue(watch.waitFor(20, TimeUnit.SECONDS), "xenstore-watch did not see the change");
            assertEquals("data/guest/r1\n", new String(watch.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            assertEquals(0, watch.exitValue());
        } finally {
            watch.destroyForcibly();
        }
    }

    @Test
    void pyxsClientOperations() throws Exception {
        assumeInstalled(PYTHON, "python3-pyxs");
        Result probe = run(guestSocket, PYTHON, "-c", "import pyxs");
        assumeTrue(probe.exit() == 0, "python3-pyxs is not installed for " + PYTHON + ": " + probe.err());
        String script = String.join("\n",
                "import sys, errno",
                "from pyxs import Client, PyXSError",
                "out = []",
                "with Client(unix_socket_path=sys.argv[1]) as c:",
                "    c[b'data/host/r1'] = b'{\"name\": \"features\"}'",
                "    out.append(c[b'data/host/r1'].decode())",
                "    out.append(','.join(x.decode() for x in c.list(b'data/host')))",
                "    out.append(str(c.exists(b'data/host/none')))",
                "    out.append(c.get_domain_path(5).decode())",
                "    c.mkdir(b'data/dir')",
                "    c.set_perms(b'data/dir', [b'n5', b'r0'])",
                "    out.append(','.join(x.decode() for x in c.get_perms(b'data/dir')))",
                "    c.delete(b'data/host/r1')",
                "    out.append(str(c.exists(b'data/host/r1')))",
                "    try:",
                "        c.introduce_domain(9, 1, 1)",
                "    except PyXSError as e:",
                "        out.append('introduce:' + errno.errorcode[e.args[0]])",
                "    c.transaction()",
                "    c[b'data/tx'] = b'1'",
                "    with Client(unix_socket_path=sys.argv[1]) as other:",
                "        out.append('outside:' + str(other.exists(b'data/tx')))",
                "    out.append('commit:' + str(c.commit()))",
                "    out.append(c[b'data/tx'].decode())",
                "    c.transaction()",
                "    c[b'data/tx']",
                "    with Client(unix_socket_path=sys.argv[1]) as other:",
                "        other[b'data/tx'] = b'2'",
                "    out.append('conflict:' + str(c.commit()))",
                "    with c.monitor() as m:",
                "        m.watch(b'data/guest', b'tok')",
                "        events = m.wait()",
                "        out.append('event:' + b' '.join(next(events)).decode())",
                "        c[b'data/guest/r1'] = b'x'",
                "        out.append('event:' + b' '.join(next(events)).decode())",
                "print('\\n'.join(out))");
        Result r = run(guestSocket, PYTHON, "-c", script, guestSocket.toString());
        assertEquals(0, r.exit(), r.err());
        assertEquals(List.of(
                "{\"name\": \"features\"}",
                "r1",
                "False",
                "/local/domain/5",
                "n5,r0",
                "False",
                "introduce:EACCES",
                "outside:False",
                "commit:True",
                "1",
                "conflict:False",
                "event:data/guest tok",
                "event:data/guest/r1 tok"), List.of(r.out().strip().split("\n")));
    }
}
