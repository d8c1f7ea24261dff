package org.guestagent.itests.kvm;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** The host's side of a QGA channel on a unix socket, as libvirt plays it: writes bytes, reads answer lines. */
final class QgaHost implements AutoCloseable {
    private final SocketChannel channel;
    private final BlockingQueue<byte[]> lines = new LinkedBlockingQueue<>();
    private final Thread reader;

    QgaHost(Path socket) throws IOException {
        channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        channel.connect(UnixDomainSocketAddress.of(socket));
        reader = new Thread(this::readLines, "qga-host " + socket);
        reader.setDaemon(true);
        reader.start();
    }

    private void readLines() {
        ByteBuffer buffer = ByteBuffer.allocate(65536);
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        try {
            while (channel.read(buffer) >= 0) {
                buffer.flip();
                while (buffer.hasRemaining()) {
                    byte b = buffer.get();
                    line.write(b);
                    if (b == '\n') {
                        lines.add(line.toByteArray());
                        line.reset();
                    }
                }
                buffer.clear();
            }
        } catch (IOException e) {
            // closed
        }
    }

    void write(String text) throws IOException {
        write(text.getBytes(StandardCharsets.UTF_8));
    }

    void write(byte[] bytes) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    /** The next answer line (with its newline, and a leading 0xFF if there was one), or null after 30 s. */
    byte[] answer() throws InterruptedException {
        return lines.poll(30, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
