package org.guestagent.shell.listener;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.guestagent.shell.connection.ShellConnectionHandler;

/**
 * The root-only shell socket: a unix domain socket in a folder only the agent's user can enter
 * (0700), the socket itself 0600. Each accepted connection is handed, unread, to the handler on a
 * thread of its own, at most {@code maxSessions} at once.
 */
final class ShellSocket {
    static final String TOO_MANY = "Too many shell sessions; try again later.\n";
    private static final System.Logger LOG = System.getLogger(ShellSocket.class.getName());

    private final Path socket;
    private final ServerSocketChannel server;
    private final ShellConnectionHandler handler;
    private final Set<SocketChannel> clients = ConcurrentHashMap.newKeySet();
    private final Thread acceptor;
    private volatile int maxSessions;

    /** Binds the socket (root: the untrusted --root tree, or null) and starts accepting. */
    ShellSocket(Path socket, Path root, int maxSessions, ShellConnectionHandler handler) throws IOException {
        this.socket = socket;
        this.handler = handler;
        this.maxSessions = Math.max(1, maxSessions);
        this.server = open(socket, root);
        acceptor = new Thread(this::acceptLoop, "agent-shell-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    Path path() {
        return socket;
    }

    void maxSessions(int max) {
        maxSessions = Math.max(1, max);
    }

    static Path socketPath(String configured, String runDir) {
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured.trim());
        }
        Path dir = runDir != null && !runDir.isBlank() ? Path.of(runDir) : Path.of("/run/guest-agent");
        return dir.resolve("shell.sock");
    }

    /**
     * Binds the socket in a private folder; a stale socket file from a crash is replaced. The
     * folder is reached without following a link (from the root down when it lies below an
     * untrusted --root, else from the folder holding it) and made 0700 on its open handle; a link
     * in the way is refused.
     */
    static ServerSocketChannel open(Path socket, Path root) throws IOException {
        Path dir = socket.toAbsolutePath().normalize().getParent();
        String name = socket.getFileName().toString();
        try (PrivateFolder folder = PrivateFolder.open(dir, root)) {
            folder.makePrivate();
            folder.deleteStale(name);
        }
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            server.bind(UnixDomainSocketAddress.of(socket));
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException e) {
            server.close();
            throw e;
        }
        return server;
    }

    private void acceptLoop() {
        while (server.isOpen()) {
            try {
                SocketChannel client = server.accept();
                if (clients.size() >= maxSessions) {
                    try (client) {
                        say(client, TOO_MANY);
                    }
                    continue;
                }
                clients.add(client);
                Thread t = new Thread(() -> serve(client), "agent-shell-session");
                t.setDaemon(true);
                t.start();
            } catch (ClosedChannelException closed) {
                return;
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "shell accept failed: {0}", e.getMessage());
            }
        }
    }

    private void serve(SocketChannel client) {
        try (client) {
            handler.serve(client);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "shell connection ended: {0}", e.getMessage());
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "shell connection failed: " + e, e);
        } finally {
            clients.remove(client);
        }
    }

    /** Writes a text to a client, whole. */
    static void say(SocketChannel client, String text) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        while (buffer.hasRemaining()) {
            client.write(buffer);
        }
    }

    /** Closes the socket and every connection, and removes the socket file. */
    void close() {
        try {
            server.close();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "closing the shell socket: {0}", e.getMessage());
        }
        for (SocketChannel client : clients) {
            try {
                client.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        try {
            acceptor.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "removing the shell socket: {0}", e.getMessage());
        }
    }
}
