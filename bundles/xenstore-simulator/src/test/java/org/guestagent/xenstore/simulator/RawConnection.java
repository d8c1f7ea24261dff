package org.guestagent.xenstore.simulator;

import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import org.guestagent.xenstore.XsChannel;
import org.guestagent.xenstore.XsMessage;
import org.guestagent.xenstore.XsOperation;

/** A bare xs_wire connection for tests that look at single messages. */
final class RawConnection implements AutoCloseable {
    private final SocketChannel channel;
    private final XsChannel xs;
    private int reqId = 100;

    RawConnection(Path socket) throws IOException {
        channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        channel.connect(UnixDomainSocketAddress.of(socket));
        xs = new XsChannel() {
            @Override
            public void readFully(ByteBuffer dst) throws IOException {
                while (dst.hasRemaining()) {
                    if (channel.read(dst) < 0) {
                        throw new EOFException();
                    }
                }
            }

            @Override
            public void writeFully(ByteBuffer src) throws IOException {
                while (src.hasRemaining()) {
                    channel.write(src);
                }
            }

            @Override
            public void close() throws IOException {
                channel.close();
            }
        };
    }

    int send(int type, int tx, byte[] payload) throws IOException {
        int id = ++reqId;
        xs.writeFully(new XsMessage(type, id, tx, payload).encode());
        return id;
    }

    int send(XsOperation op, int tx, String... strings) throws IOException {
        return send(op.code(), tx, XsMessage.strings(strings));
    }

    XsMessage next() throws IOException {
        return XsMessage.read(xs);
    }

    /** Sends and returns the next message that is not a watch event. */
    XsMessage call(XsOperation op, int tx, String... strings) throws IOException {
        int id = send(op, tx, strings);
        XsMessage m;
        do {
            m = next();
        } while (m.type() == XsOperation.WATCH_EVENT.code());
        if (m.reqId() != id) {
            throw new IOException("reply to " + m.reqId() + ", expected " + id);
        }
        return m;
    }

    /** "OK", the value, or "ERROR:ENOENT". */
    String text(XsOperation op, int tx, String... strings) throws IOException {
        XsMessage m = call(op, tx, strings);
        String body = new String(m.payload(), StandardCharsets.UTF_8);
        if (m.type() == XsOperation.ERROR.code()) {
            return "ERROR:" + m.firstString();
        }
        return body.endsWith("\0") ? body.substring(0, body.length() - 1) : body;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
