package org.guestagent.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * {@code guest-agent shell}: connects to the running agent's shell socket and pipes the
 * terminal (or a pipe) through it. The agent runs each line as a Gogo command.
 */
final class ShellClient {
    /** First line of an interactive client: the agent then shows a banner and prompts. */
    static final String INTERACTIVE = "# interactive";

    private ShellClient() {
    }

    static int run(Path socket) {
        SocketChannel channel;
        try {
            channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            channel.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException | RuntimeException e) {
            System.err.println("guest-agent shell: cannot connect to " + socket + " (" + e.getMessage()
                    + "); is the agent running, and are you root?");
            return Main.EXIT_FAILED;
        }
        try (channel) {
            OutputStream toAgent = ChannelStreams.out(channel);
            if (System.console() != null) {
                toAgent.write((INTERACTIVE + "\n").getBytes(StandardCharsets.UTF_8));
                toAgent.flush();
            }
            Thread input = new Thread(() -> pipeInput(System.in, toAgent, channel), "shell-input");
            input.setDaemon(true);
            input.start();
            ChannelStreams.in(channel).transferTo(System.out);
            System.out.flush();
            return 0;
        } catch (IOException e) {
            System.err.println("guest-agent shell: connection lost: " + e.getMessage());
            return Main.EXIT_FAILED;
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
