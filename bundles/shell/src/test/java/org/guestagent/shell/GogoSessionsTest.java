package org.guestagent.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.reflect.Proxy;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.guestagent.common.channels.ChannelStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GogoSessionsTest {
    @TempDir
    Path dir;

    /** A Gogo stand-in: "hello" answers "world", anything else fails like Gogo does. */
    private static CommandProcessor fakeGogo() {
        return (CommandProcessor) Proxy.newProxyInstance(GogoSessionsTest.class.getClassLoader(), new Class<?>[] {CommandProcessor.class},
                (proxy, method, args) -> {
                    if (!method.getName().equals("createSession")) {
                        throw new UnsupportedOperationException(method.getName());
                    }
                    return Proxy.newProxyInstance(GogoSessionsTest.class.getClassLoader(), new Class<?>[] {CommandSession.class},
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

    /** Connects a client to a session of {@link GogoSessions} served on its own thread, as the listener does. */
    private SocketChannel connect(GogoSessions sessions) throws IOException {
        Path path = dir.resolve("test.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(path));
            SocketChannel client = SocketChannel.open(StandardProtocolFamily.UNIX);
            client.connect(UnixDomainSocketAddress.of(path));
            SocketChannel accepted = server.accept();
            Thread t = new Thread(() -> {
                try {
                    sessions.serve(accepted);
                } catch (IOException e) {
                    // the test's client sees the connection end
                }
            });
            t.setDaemon(true);
            t.start();
            return client;
        } finally {
            Files.deleteIfExists(path);
        }
    }

    @Test
    void runsEachLineAndAnswers() throws Exception {
        try (SocketChannel client = connect(new GogoSessions(fakeGogo()))) {
            OutputStream out = ChannelStreams.out(client);
            out.write("hello\n\nnope\n".getBytes(StandardCharsets.UTF_8));
            client.shutdownOutput();
            BufferedReader in = new BufferedReader(new InputStreamReader(ChannelStreams.in(client), StandardCharsets.UTF_8));
            assertEquals("world", in.readLine());
            assertEquals("Error: Command not found: nope", in.readLine());
            assertEquals(null, in.readLine());
        }
    }

    @Test
    void batchModeMarksErrorLinesForTheClient() throws Exception {
        try (SocketChannel client = connect(new GogoSessions(fakeGogo()))) {
            ChannelStreams.out(client).write((GogoSessions.BATCH + "\nhello\nnope\n").getBytes(StandardCharsets.UTF_8));
            client.shutdownOutput();
            BufferedReader in = new BufferedReader(new InputStreamReader(ChannelStreams.in(client), StandardCharsets.UTF_8));
            assertEquals("world", in.readLine(), "output unmarked");
            assertEquals(GogoSessions.ERROR_MARK + "Error: Command not found: nope", in.readLine());
            assertEquals(null, in.readLine());
        }
    }

    @Test
    void stoppingTheBundleEndsTheOpenSessions() throws Exception {
        GogoSessions sessions = new GogoSessions(fakeGogo());
        try (SocketChannel client = connect(sessions)) {
            ChannelStreams.out(client).write("hello\n".getBytes(StandardCharsets.UTF_8));
            BufferedReader in = new BufferedReader(new InputStreamReader(ChannelStreams.in(client), StandardCharsets.UTF_8));
            assertEquals("world", in.readLine());
            sessions.deactivate();
            assertEquals(null, in.readLine(), "the connection ends");
        }
    }

    @Test
    void formatsResultsOnTheirOwnLine() {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        CommandSession session = (CommandSession) ((CommandProcessor) fakeGogo()).createSession(null, null, null);
        GogoSessions.run(session, "hello", out, "");
        assertEquals("world\n", bytes.toString(StandardCharsets.UTF_8));
    }
}
