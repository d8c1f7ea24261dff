package org.guestagent.shell.listener;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.guestagent.shell.connection.ShellConnectionHandler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShellSocketTest {
    @TempDir
    Path dir;

    /** Answers every line with the line in upper case. */
    private static final ShellConnectionHandler UPPER = client -> {
        BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(client), StandardCharsets.UTF_8));
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            ShellSocket.say(client, line.toUpperCase() + "\n");
        }
    };

    private static SocketChannel connect(Path socket) throws IOException {
        SocketChannel client = SocketChannel.open(StandardProtocolFamily.UNIX);
        client.connect(UnixDomainSocketAddress.of(socket));
        return client;
    }

    private static List<String> lines(SocketChannel client) {
        return new BufferedReader(new InputStreamReader(Channels.newInputStream(client), StandardCharsets.UTF_8)).lines().toList();
    }

    @Test
    void handsEachConnectionOverUnreadAndAnswersOnlyToTheOwner() throws Exception {
        Path run = dir.resolve("run");
        Path path = run.resolve("shell.sock");
        CountDownLatch release = new CountDownLatch(1);
        // a handler that comes late, like a shell whose bundles are still starting
        ShellSocket socket = new ShellSocket(path, null, 2, client -> {
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            UPPER.serve(client);
        });
        try {
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(run)));
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(path)));
            try (SocketChannel client = connect(path)) {
                client.write(ByteBuffer.wrap("one\ntwo\n".getBytes(StandardCharsets.UTF_8)));
                client.shutdownOutput();
                release.countDown();
                assertEquals(List.of("ONE", "TWO"), lines(client), "nothing sent before the handler came is lost");
            }
        } finally {
            socket.close();
        }
        assertFalse(Files.exists(path), "socket file removed on close");
    }

    @Test
    void refusesConnectionsBeyondTheMostSessions() throws Exception {
        Path path = dir.resolve("run/shell.sock");
        CountDownLatch release = new CountDownLatch(1);
        ShellSocket socket = new ShellSocket(path, null, 1, client -> {
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        try (SocketChannel first = connect(path); SocketChannel second = connect(path)) {
            assertEquals(List.of(ShellSocket.TOO_MANY.strip()), lines(second));
        } finally {
            release.countDown();
            socket.close();
        }
    }

    @Test
    void socketPathDefaultsToTheRunFolder() {
        assertEquals(Path.of("/x/shell.sock"), ShellSocket.socketPath("", "/x"));
        assertEquals(Path.of("/run/guest-agent/shell.sock"), ShellSocket.socketPath(null, null));
        assertEquals(Path.of("/tmp/s.sock"), ShellSocket.socketPath(" /tmp/s.sock ", "/x"));
    }

    @Test
    void runtimeBundlesAreACommaSeparatedList() {
        assertEquals(List.of("a", "b.c"), ShellListener.names(" a, ,b.c "));
        assertEquals(4, ShellListener.names(ShellListener.SHELL_BUNDLES).size());
    }

    @Test
    void aLinkAtTheSocketFolderOrSocketBelowTheRootIsRefusedAndNothingOutsideChanges() throws Exception {
        Path outside = Files.createDirectory(dir.resolve("outside"));
        Files.setPosixFilePermissions(outside, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path victim = Files.writeString(outside.resolve("victim"), "untouched");
        Path root = Files.createDirectory(dir.resolve("root"));
        Path run = Files.createDirectories(root.resolve("run"));

        Path folderLink = Files.createSymbolicLink(run.resolve("guest-agent"), outside);
        IOException e = assertThrows(IOException.class,
                () -> ShellSocket.open(run.resolve("guest-agent/shell.sock"), root));
        assertTrue(e.getMessage().contains(folderLink + ": is a symbolic link"), e.getMessage());
        assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(outside)), "not made 0700");

        Files.delete(folderLink);
        Path socketLink = Files.createSymbolicLink(Files.createDirectory(run.resolve("guest-agent")).resolve("shell.sock"), victim);
        e = assertThrows(IOException.class,
                () -> ShellSocket.open(socketLink, root));
        assertTrue(e.getMessage().contains(socketLink + ": is a symbolic link"), e.getMessage());
        assertEquals("untouched", Files.readString(victim));
        try (var names = Files.list(outside)) {
            assertEquals(List.of(victim), names.toList(), "nothing made outside the root");
        }
    }
}
