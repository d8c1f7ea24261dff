package org.guestagent.launcher;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import org.guestagent.common.channels.ChannelStreams;

/**
 * {@code guest-agent shell}: connects to the running agent's shell socket and pipes the
 * terminal, a pipe, or the one command of {@code -c} through it. The agent runs each line as a
 * Gogo command. Without a terminal, the agent marks error lines; they go to stderr and make the
 * exit status non-zero, so scripts can tell a failed command.
 */
final class ShellClient {
    /** First line of an interactive client: the agent then shows a banner and prompts. */
    static final String INTERACTIVE = "# interactive";
    /** First line of a script or {@code -c}: the agent then starts each error line with {@link #ERROR_MARK}. */
    static final String BATCH = "# batch";
    static final int ERROR_MARK = 0;

    private ShellClient() {
    }

    /** Runs the shell; {@code command} is the text of {@code -c}, or null to read stdin. */
    static int run(Path socket, String command) {
        SocketChannel channel;
        try {
            channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            channel.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException | RuntimeException e) {
            System.err.println("guest-agent shell: cannot connect to " + socket + " (" + e.getMessage()
                    + "); is the agent running, and are you root?");
            return Main.EXIT_FAILED;
        }
        boolean interactive = command == null && System.console() != null;
        try (channel) {
            OutputStream toAgent = ChannelStreams.out(channel);
            toAgent.write(((interactive ? INTERACTIVE : BATCH) + "\n").getBytes(StandardCharsets.UTF_8));
            toAgent.flush();
            InputStream input = command != null
                    ? new java.io.ByteArrayInputStream((command + "\n").getBytes(StandardCharsets.UTF_8))
                    : System.in;
            Thread writer = new Thread(() -> pipeInput(input, toAgent, channel), "shell-input");
            writer.setDaemon(true);
            writer.start();
            if (interactive) {
                ChannelStreams.in(channel).transferTo(System.out);
                System.out.flush();
                return 0;
            }
            boolean failed = splitErrors(new java.io.BufferedInputStream(ChannelStreams.in(channel)), System.out, System.err);
            return failed ? Main.EXIT_FAILED : 0;
        } catch (IOException e) {
            System.err.println("guest-agent shell: connection lost: " + e.getMessage());
            return Main.EXIT_FAILED;
        }
    }

    /**
     * Copies the agent's answer line by line: text after an error mark goes to {@code err}, the
     * rest to {@code out}. Returns whether any error came.
     */
    static boolean splitErrors(InputStream fromAgent, PrintStream out, PrintStream err) throws IOException {
        boolean failed = false;
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int mark = -1;
        for (int b = fromAgent.read(); ; b = fromAgent.read()) {
            if (b == ERROR_MARK && mark < 0) {
                mark = line.size();
                continue;
            }
            if (b == '\n' || b < 0) {
                byte[] bytes = line.toByteArray();
                if (mark < 0) {
                    out.write(bytes, 0, bytes.length);
                    if (b == '\n') {
                        out.write('\n');
                    }
                    out.flush();
                } else {
                    failed = true;
                    if (mark > 0) { // the command printed part of a line, then failed
                        out.write(bytes, 0, mark);
                        out.write('\n');
                        out.flush();
                    }
                    err.write(bytes, mark, bytes.length - mark);
                    err.write('\n');
                    err.flush();
                }
                line.reset();
                mark = -1;
                if (b < 0) {
                    return failed;
                }
                continue;
            }
            line.write(b);
        }
    }

    /** Copies stdin to the agent; at its end, tells the agent no more commands come. */
    private static void pipeInput(InputStream in, OutputStream toAgent, SocketChannel channel) {
        try {
            byte[] buffer = new byte[4096];
            int n;
            while ((n = in.read(buffer)) >= 0) {
                toAgent.write(buffer, 0, n);
                toAgent.flush();
            }
            channel.shutdownOutput();
        } catch (IOException e) {
            // the agent closed the connection; the reader side reports it
        }
    }
}
