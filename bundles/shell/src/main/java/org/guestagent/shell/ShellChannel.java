package org.guestagent.shell;

import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Converter;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The root-only local channel to the agent's Gogo shell: a unix domain socket in a folder only
 * the agent's user can enter (0700), the socket itself 0600. Each connection gets its own Gogo
 * session; every line read is run as a command and its result or error is written back.
 * <p>
 * The client's first line may name a mode: {@value #INTERACTIVE} (a banner and a prompt) or
 * {@value #BATCH} (a script or {@code -c}: each error line starts with {@link #ERROR_MARK}, so
 * that the client can send it to stderr and exit non-zero). Without either, plain text.
 */
@Component(configurationPid = ShellChannel.PID, configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = ShellChannel.Config.class)
public class ShellChannel {
    static final String PID = "org.guestagent.shell";
    static final String INTERACTIVE = "# interactive";
    static final String BATCH = "# batch";
    /** Starts an error line in batch mode; never part of a command's own output. */
    static final char ERROR_MARK = '\u0000';
    private static final System.Logger LOG = System.getLogger(ShellChannel.class.getName());

    @ObjectClassDefinition(name = "Guest agent shell channel")
    public @interface Config {
        @AttributeDefinition(description = "Socket file; empty: shell.sock in the agent's run folder (/run/guest-agent as root)")
        String socket_path() default "";

        @AttributeDefinition(description = "Most shell connections served at once")
        int max_sessions() default 4;
    }

    private final Set<SocketChannel> clients = ConcurrentHashMap.newKeySet();
    private final CommandProcessor processor;
    private final String runDir;
    /** The --root tree (untrusted), or null. */
    private final String root;
    private volatile ServerSocketChannel server;
    private volatile Path socket;
    private volatile int maxSessions;
    private Thread acceptor;

    @Activate
    public ShellChannel(@Reference CommandProcessor processor, BundleContext context, Config config) throws IOException {
        this.processor = processor;
        this.runDir = context.getProperty("guestagent.run.dir");
        this.root = context.getProperty("guestagent.root");
        listen(config);
    }

    /**
     * A new configuration (FileInstall delivers config/org.guestagent.shell.cfg after the boot)
     * rebinds the socket only when its path changed, so the shell stays reachable.
     */
    @Modified
    void modified(Config config) throws IOException {
        Path wanted = socketPath(config.socket_path(), runDir);
        if (wanted.equals(socket)) {
            maxSessions = Math.max(1, config.max_sessions());
            return;
        }
        stop();
        listen(config);
    }

    private void listen(Config config) throws IOException {
        maxSessions = Math.max(1, config.max_sessions());
        socket = socketPath(config.socket_path(), runDir);
        ServerSocketChannel channel;
        try {
            channel = open(socket, root == null || root.isBlank() ? null : Path.of(root));
        } catch (IOException e) {
            // SCR reports the failed activation on stderr only, which a detached agent has not
            LOG.log(System.Logger.Level.ERROR, "The shell channel is not started: {0}", e.getMessage());
            throw e;
        }
        server = channel;
        acceptor = new Thread(() -> acceptLoop(channel), "agent-shell-accept");
        acceptor.setDaemon(true);
        acceptor.start();
        LOG.log(System.Logger.Level.INFO, "shell listening on {0}", socket);
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

    private void acceptLoop(ServerSocketChannel server) {
        while (server.isOpen()) {
            try {
                SocketChannel client = server.accept();
                if (clients.size() >= maxSessions) {
                    try (client) {
                        ChannelStreams.out(client).write("Too many shell sessions; try again later.\n".getBytes(StandardCharsets.UTF_8));
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

    /** One connection: read a line, run it, write the answer, until the client ends or says exit. */
    private void serve(SocketChannel client) {
        PrintStream out = new PrintStream(new BufferedOutputStream(ChannelStreams.out(client)), false, StandardCharsets.UTF_8);
        try (client; CommandSession session = processor.createSession(InputStream.nullInputStream(), out, out)) {
            BufferedReader in = new BufferedReader(new InputStreamReader(ChannelStreams.in(client), StandardCharsets.UTF_8));
            String line = in.readLine();
            boolean interactive = INTERACTIVE.equals(line);
            boolean batch = BATCH.equals(line);
            if (interactive) {
                out.println("Guest agent shell. Try agent:commands, agent:pairs, agent:call version; exit to leave.");
                out.print("g! ");
                out.flush();
            }
            if (interactive || batch) {
                line = in.readLine();
            }
            for (; line != null; line = in.readLine()) {
                String command = line.strip();
                if (command.equals("exit") || command.equals("quit")) {
                    break;
                }
                if (!command.isEmpty()) {
                    run(session, command, out, batch ? String.valueOf(ERROR_MARK) : "");
                }
                if (interactive) {
                    out.print("g! ");
                }
                out.flush();
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "shell connection ended: {0}", e.getMessage());
        } finally {
            clients.remove(client);
        }
    }

    /** Runs one command line; an error is written as one line, after {@code errorPrefix}. */
    static void run(CommandSession session, String command, PrintStream out, String errorPrefix) {
        try {
            Object result = session.execute(command);
            if (result != null) {
                CharSequence text = session.format(result, Converter.INSPECT);
                out.print(text);
                if (text.length() > 0 && text.charAt(text.length() - 1) != '\n') {
                    out.println();
                }
            }
        } catch (Exception e) {
            String message = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
            out.println(errorPrefix + "Error: " + message.replace('\n', ' '));
        }
    }

    @Deactivate
    void deactivate() {
        stop();
    }

    private void stop() {
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
