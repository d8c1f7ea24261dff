package org.guestagent.xenstore.simulator;

import java.io.EOFException;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;

import org.guestagent.xenstore.XsMessage;

/**
 * One client connection, acting as domain {@link #domid}. A reader thread feeds requests to the
 * store; a writer thread sends the queued replies and events, so the store never blocks on a
 * slow client.
 */
final class Connection {

    private static final System.Logger LOG = System.getLogger(Connection.class.getName());
    private static final ByteBuffer CLOSE = ByteBuffer.allocate(0);
    /** Bodies longer than this are not skipped: such a client is dropped. */
    private static final long MAX_SKIPPED_BODY = 1 << 20;

    final int domid;
    /** Guarded by the store's lock. */
    final List<Store.Watch> watches = new ArrayList<>();
    /** Guarded by the store's lock. */
    final Set<Integer> transactions = new HashSet<>();
    private final SocketChannel channel;
    private final Store store;
    private final LinkedBlockingQueue<ByteBuffer> out = new LinkedBlockingQueue<>();
    private volatile boolean open = true;

    Connection(SocketChannel channel, int domid, Store store) {
        this.channel = channel;
        this.domid = domid;
        this.store = store;
    }

    void start(String name) {
        store.connected(this);
        thread(this::readLoop, name + "-reader").start();
        thread(this::writeLoop, name + "-writer").start();
    }

    void send(XsMessage message) {
        if (open) {
            out.add(message.encode());
        }
    }

    void close() {
        if (open) {
            open = false;
            out.add(CLOSE);
            try {
                channel.close();
            } catch (IOException ignored) {
                // closing anyway
            }
            store.disconnected(this);
        }
    }

    private void readLoop() {
        try {
            ByteBuffer header = ByteBuffer.allocate(XsMessage.HEADER_SIZE);
            while (open) {
                header.clear();
                readFully(header);
                XsMessage.Header h = XsMessage.decodeHeader(header.flip());
                if (h.length() > XsMessage.PAYLOAD_MAX) {
                    if (h.length() > MAX_SKIPPED_BODY) {
                        LOG.log(Level.WARNING, "Dropping a client that sent a {0}-byte message", h.length());
                        return;
                    }
                    readFully(ByteBuffer.allocate((int) h.length()));
                    store.tooBig(this, h);
                    continue;
                }
                ByteBuffer body = ByteBuffer.allocate((int) h.length());
                readFully(body);
                store.handle(this, new XsMessage(h.type(), h.reqId(), h.txId(), body.array()));
            }
        } catch (IOException e) {
            // the client went away
        } finally {
            close();
        }
    }

    private void writeLoop() {
        List<ByteBuffer> batch = new ArrayList<>();
        try {
            while (true) {
                batch.clear();
                batch.add(out.take());
                out.drainTo(batch, 256);
                boolean closing = batch.remove(CLOSE);
                ByteBuffer[] buffers = batch.toArray(ByteBuffer[]::new);
                long left = 0;
                for (ByteBuffer b : buffers) {
                    left += b.remaining();
                }
                while (left > 0) {
                    left -= channel.write(buffers);
                }
                if (closing) {
                    return;
                }
            }
        } catch (IOException | InterruptedException e) {
            close();
        }
    }

    private void readFully(ByteBuffer dst) throws IOException {
        while (dst.hasRemaining()) {
            if (channel.read(dst) < 0) {
                throw new EOFException();
            }
        }
    }

    private static Thread thread(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
