package org.guestagent.hostclient;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Plays libvirt's part on a QEMU guest agent channel (a unix socket: the agent's unix-listen mode,
 * qemu-ga's, or the host end of a VM's virtio-serial channel): first guest-sync-delimited with a
 * random id, reading past the 0xFF to the answer with that id (so stale answers of an earlier host
 * are skipped), then the command itself.
 */
final class QgaCaller implements AutoCloseable {
    /** The agent did not answer in time. */
    static final class TimeoutException extends IOException {
        private static final long serialVersionUID = 1L;

        TimeoutException(String message) {
            super(message);
        }
    }

    private final ObjectMapper json = new ObjectMapper();
    private final SocketChannel channel;
    private final Selector selector;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

    QgaCaller(Path socket) throws IOException {
        channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        channel.connect(UnixDomainSocketAddress.of(socket));
        channel.configureBlocking(false);
        selector = Selector.open();
        channel.register(selector, SelectionKey.OP_READ);
    }

    /** Synchronises, then runs one command; returns its whole answer object. */
    JsonNode call(String execute, JsonNode arguments, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long id = ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE);
        send("{\"execute\":\"guest-sync-delimited\",\"arguments\":{\"id\":" + id + "}}");
        while (true) {
            JsonNode answer = readLine(deadline, true);
            if (answer != null && answer.path("return").asLong() == id) {
                break;
            }
        }
        ObjectNode request = json.createObjectNode();
        request.put("execute", execute);
        if (arguments != null) {
            request.set("arguments", arguments);
        }
        send(json.writeValueAsString(request));
        return readLine(deadline, false);
    }

    private void send(String request) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap((request + "\n").getBytes(StandardCharsets.UTF_8));
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    /** The next answer line as JSON; with skipToDelimiter, bytes before a 0xFF are dropped first. */
    private JsonNode readLine(long deadline, boolean skipToDelimiter) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(65536);
        boolean delimiterSeen = !skipToDelimiter;
        while (true) {
            byte[] have = pending.toByteArray();
            int start = 0;
            if (!delimiterSeen) {
                int ff = indexOf(have, (byte) 0xFF, 0);
                if (ff >= 0) {
                    delimiterSeen = true;
                    start = ff + 1;
                } else {
                    start = have.length;
                }
            }
            int newline = delimiterSeen ? indexOf(have, (byte) '\n', start) : -1;
            if (newline >= 0) {
                pending.reset();
                pending.write(have, newline + 1, have.length - newline - 1);
                return json.readTree(new String(have, start, newline - start, StandardCharsets.UTF_8));
            }
            pending.reset();
            pending.write(have, start, have.length - start);
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new TimeoutException("no answer from the agent in time");
            }
            selector.select(Math.max(1, left / 1_000_000));
            selector.selectedKeys().clear();
            buffer.clear();
            int n = channel.read(buffer);
            if (n < 0) {
                throw new IOException("the agent closed the channel");
            }
            pending.write(buffer.array(), 0, n);
        }
    }

    private static int indexOf(byte[] bytes, byte b, int from) {
        for (int i = from; i < bytes.length; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public void close() throws IOException {
        selector.close();
        channel.close();
    }
}
