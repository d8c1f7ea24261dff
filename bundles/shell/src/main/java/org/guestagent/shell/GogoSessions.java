package org.guestagent.shell;

import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Converter;
import org.guestagent.common.channels.ChannelStreams;
import org.guestagent.shell.connection.ShellConnectionHandler;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * Runs the connections of the shell socket (kept open by the shell listener bundle, which starts
 * this bundle on demand) as Gogo sessions: each line read is run as a command and its result or
 * error is written back.
 * <p>
 * The client's first line may name a mode: {@value #INTERACTIVE} (a banner and a prompt) or
 * {@value #BATCH} (a script or {@code -c}: each error line starts with {@link #ERROR_MARK}, so
 * that the client can send it to stderr and exit non-zero). Without either, plain text.
 */
@Component(service = ShellConnectionHandler.class)
public class GogoSessions implements ShellConnectionHandler {
    static final String INTERACTIVE = "# interactive";
    static final String BATCH = "# batch";
    /** Starts an error line in batch mode; never part of a command's own output. */
    static final char ERROR_MARK = '\u0000';
    private static final System.Logger LOG = System.getLogger(GogoSessions.class.getName());

    private final Set<SocketChannel> clients = ConcurrentHashMap.newKeySet();
    private final CommandProcessor processor;

    @Activate
    public GogoSessions(@Reference CommandProcessor processor) {
        this.processor = processor;
    }

    /** One connection: read a line, run it, write the answer, until the client ends or says exit. */
    @Override
    public void serve(SocketChannel client) throws IOException {
        clients.add(client);
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

    /** This bundle is stopped (idle, or replaced): the sessions still open end. */
    @Deactivate
    void deactivate() {
        for (SocketChannel client : clients) {
            try {
                client.close();
            } catch (IOException e) {
                LOG.log(System.Logger.Level.DEBUG, "closing a shell connection: {0}", e.getMessage());
            }
        }
    }
}
