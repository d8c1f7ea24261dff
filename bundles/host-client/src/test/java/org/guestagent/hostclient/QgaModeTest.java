package org.guestagent.hostclient;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** guest-agent-client --qga against Debian's qemu-ga on a unix-listen socket (skips without it). */
class QgaModeTest {
    @TempDir
    Path dir;
    private Process qemuGa;
    private Path socket;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeEach
    void startQemuGa() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/qemu-ga")), "qemu-guest-agent is not installed");
        socket = dir.resolve("qga.sock");
        qemuGa = new ProcessBuilder("/usr/sbin/qemu-ga", "-m", "unix-listen", "-p", socket.toString(), "-t", dir.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("log").toFile()).start();
        // the socket file appears at bind(), before qemu-ga listens: wait until it accepts a connection
        for (int i = 0; i < 300 && !accepts(socket); i++) {
            Thread.sleep(100);
        }
    }

    private static boolean accepts(Path socket) {
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            probe.connect(UnixDomainSocketAddress.of(socket));
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    @AfterEach
    void stopQemuGa() throws Exception {
        if (qemuGa != null) {
            qemuGa.destroyForcibly().waitFor();
        }
    }

    private int run(String... args) {
        out.reset();
        err.reset();
        return new HostClient(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                Map.of()).run(args);
    }

    @Test
    void anyExecuteWithJsonArguments() {
        assertEquals(0, run("--qga", socket.toString(), "guest-sync", "{\"id\": 4711}"), err.toString());
        assertEquals("4711", out.toString(StandardCharsets.UTF_8).strip());
        assertEquals(0, run("--qga", socket.toString(), "guest-ping"), err.toString());
        assertEquals("{}", out.toString(StandardCharsets.UTF_8).strip());
    }

    @Test
    void anErrorAnswerPrintsItsClassAndText() {
        assertEquals(HostClient.EXIT_ERROR_ANSWER, run("--qga", socket.toString(), "guest-nothing"));
        assertEquals("CommandNotFound The command guest-nothing has not been found", out.toString(StandardCharsets.UTF_8).strip());
        assertEquals(HostClient.EXIT_USAGE, run("--qga", socket.toString(), "guest-sync", "[1]"));
    }
}
