package org.guestagent.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.annotation.Annotation;
import java.lang.reflect.Proxy;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.BundleContext;

class ShellChannelTest {
    @TempDir
    Path dir;

    /** A Gogo stand-in: "hello" answers "world", anything else fails like Gogo does. */
    private static CommandProcessor fakeGogo() {
        return (CommandProcessor) Proxy.newProxyInstance(ShellChannelTest.class.getClassLoader(), new Class<?>[] {CommandProcessor.class},
                (proxy, method, args) -> {
                    if (!method.getName().equals("createSession")) {
                        throw new UnsupportedOperationException(method.getName());
                    }
                    return Proxy.newProxyInstance(ShellChannelTest.class.getClassLoader(), new Class<?>[] {CommandSession.class},
                            (p, m, a) -> switch (m.getName()) {
                                case "execute" -> {
                                    if (a[0].toString().equals("hello")) {
                                        yield "world";
                                    }
                                    throw new IllegalArgumentException("Command not found: " + a[0]);
                                }
                                case "format" -> a[0].toString();
                                case "close" -> null;
                                default -> throw new UnsupportedOperationException(m.getName());
                            });
                });
    }

    private static BundleContext context(String runDir) {
        return (BundleContext) Proxy.newProxyInstance(ShellChannelTest.class.getClassLoader(), new Class<?>[] {BundleContext.class},
                (p, m, a) -> m.getName().equals("getProperty") && "guestagent.run.dir".equals(a[0]) ? runDir : null);
    }

    private static ShellChannel.Config config(String socket) {
        return new ShellChannel.Config() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return ShellChannel.Config.class;
            }

            @Override
            public String socket_path() {
                return socket;
            }

            @Override
            public int max_sessions() {
                return 2;
            }
        };
    }

    @Test
    void runsEachLineAndAnswersOnlyToTheOwner() throws Exception {
        Path run = dir.resolve("run");
        ShellChannel channel = new ShellChannel(fakeGogo(), context(run.toString()), config(""));
        Path socket = run.resolve("shell.sock");
        try {
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(run)));
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
            try (SocketChannel client = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                client.connect(UnixDomainSocketAddress.of(socket));
                OutputStream out = ChannelStreams.out(client);
                out.write("hello\n\nnope\n".getBytes(StandardCharsets.UTF_8));
                client.shutdownOutput();
                BufferedReader in = new BufferedReader(new InputStreamReader(ChannelStreams.in(client), StandardCharsets.UTF_8));
                assertEquals("world", in.readLine());
                assertEquals("Error: Command not found: nope", in.readLine());
                assertEquals(null, in.readLine());
            }
        } finally {
            channel.deactivate();
        }
        assertFalse(Files.exists(socket), "socket file removed on stop");
    }

    @Test
    void batchModeMarksErrorLinesForTheClient() throws Exception {
        Path run = dir.resolve("run");
        ShellChannel channel = new ShellChannel(fakeGogo(), context(run.toString()), config(""));
        try (SocketChannel client = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            client.connect(UnixDomainSocketAddress.of(run.resolve("shell.sock")));
            ChannelStreams.out(client).write((ShellChannel.BATCH + "\nhello\nnope\n").getBytes(StandardCharsets.UTF_8));
            client.shutdownOutput();
            BufferedReader in = new BufferedReader(new InputStreamReader(ChannelStreams.in(client), StandardCharsets.UTF_8));
            assertEquals("world", in.readLine(), "output unmarked");
            assertEquals(ShellChannel.ERROR_MARK + "Error: Command not found: nope", in.readLine());
            assertEquals(null, in.readLine());
        } finally {
            channel.deactivate();
        }
    }

    @Test
    void newConfigurationRebindsOnlyWhenThePathChanges() throws Exception {
        Path run = dir.resolve("run");
        ShellChannel channel = new ShellChannel(fakeGogo(), context(run.toString()), config(""));
        try {
            Object before = Files.readAttributes(run.resolve("shell.sock"), java.nio.file.attribute.BasicFileAttributes.class).fileKey();
            channel.modified(config(""));
            Object after = Files.readAttributes(run.resolve("shell.sock"), java.nio.file.attribute.BasicFileAttributes.class).fileKey();
            assertEquals(before, after, "same socket file: not rebound");
            Path moved = dir.resolve("other/agent.sock");
            channel.modified(config(moved.toString()));
            assertFalse(Files.exists(run.resolve("shell.sock")));
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(moved)));
        } finally {
            channel.deactivate();
        }
    }

    @Test
    void formatsResultsOnTheirOwnLine() {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        CommandSession session = (CommandSession) ((CommandProcessor) fakeGogo()).createSession(null, null, null);
        ShellChannel.run(session, "hello", out, "");
        assertEquals("world\n", bytes.toString(StandardCharsets.UTF_8));
    }

    @Test
    void socketPathDefaultsToTheRunFolder() {
        assertEquals(Path.of("/x/shell.sock"), ShellChannel.socketPath("", "/x"));
        assertEquals(Path.of("/run/guest-agent/shell.sock"), ShellChannel.socketPath(null, null));
        assertEquals(Path.of("/tmp/s.sock"), ShellChannel.socketPath(" /tmp/s.sock ", "/x"));
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
                () -> ShellChannel.open(run.resolve("guest-agent/shell.sock"), root));
        assertTrue(e.getMessage().contains(folderLink + ": is a symbolic link"), e.getMessage());
        assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(outside)), "not made 0700");

        Files.delete(folderLink);
        Path socketLink = Files.createSymbolicLink(Files.createDirectory(run.resolve("guest-agent")).resolve("shell.sock"), victim);
        e = assertThrows(IOException.class,
                () -> ShellChannel.open(socketLink, root));
        assertTrue(e.getMessage().contains(socketLink + ": is a symbolic link"), e.getMessage());
        assertEquals("untouched", Files.readString(victim));
        try (var names = Files.list(outside)) {
            assertEquals(List.of(victim), names.toList(), "nothing made outside the root");
        }
    }
}
