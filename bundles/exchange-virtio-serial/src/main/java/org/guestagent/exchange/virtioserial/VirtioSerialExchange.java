package org.guestagent.exchange.virtioserial;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.guestagent.api.transport.Exchange;
import org.guestagent.api.transport.RawRequest;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The QEMU guest agent channel (protocol {@value #PROTOCOL}): a virtio-serial port the host opens
 * and closes at will, or, for tests and containers, a unix socket the agent listens on (one host
 * at a time, as qemu-ga's unix-listen mode; a new host replaces the old one).
 * <p>
 * Each host connection gets its own {@link MessageSplitter}, so a request half sent on one never
 * spoils the next. Requests of a connection that ended are dropped, queued or not, so a new host
 * is answered at once. Answers go out through a per-connection writer thread with a bounded
 * buffer: a host that stops reading blocks only that thread, and when the buffer is full the
 * connection and its backlog are dropped. Nothing here ever spins: reads block, a missing port is
 * waited for through the kernel's file notification, and a port with no host (its reads see end of
 * file at once, and poll(2) reports a hang-up at once: the kernel tells a host's arrival only by
 * SIGIO) is looked at again after {@code idle.poll.millis}.
 */
@Component(configurationPid = VirtioSerialExchangeConfig.PID, configurationPolicy = ConfigurationPolicy.OPTIONAL,
        property = Exchange.PROTOCOL + "=" + VirtioSerialExchange.PROTOCOL)
@Designate(ocd = VirtioSerialExchangeConfig.class)
public class VirtioSerialExchange implements Exchange {
    public static final String PROTOCOL = "qga";
    static final String UNIX_LISTEN = "unix-listen";
    static final String VIRTIO_SERIAL = "virtio-serial";

    private static final System.Logger LOG = System.getLogger(VirtioSerialExchange.class.getName());
    private static final int QUEUE_CAPACITY = 1024;

    private record Incoming(Connection connection, RawRequest request) {
    }

    private final BlockingQueue<Incoming> incoming = new LinkedBlockingQueue<>(QUEUE_CAPACITY);
    private final AtomicLong generations = new AtomicLong();
    /** How long receive() waits before giving null: long, as a stop interrupts the dispatcher's wait, so an idle agent is not woken. */
    long receiveWaitMillis = 60_000;
    private volatile Connection current;
    private volatile boolean running;
    private String mode;
    private Path path;
    private int outputLimit;
    private int requestLimit;
    private int idlePollMillis;
    private Thread hostThread;
    private ServerSocketChannel server;
    /** The port, opened once (a virtio port takes one opener): reads and writes on their own channels of its descriptor. */
    private java.io.RandomAccessFile portFile;
    private FileChannel port;
    private FileChannel portOut;

    @Activate
    void activate(VirtioSerialExchangeConfig config) throws IOException {
        mode = config.mode().trim();
        path = Path.of(config.path().trim());
        outputLimit = Math.max(4096, config.output_buffer_bytes());
        requestLimit = Math.max(1024, config.request_max_bytes());
        idlePollMillis = Math.max(10, config.idle_poll_millis());
        running = true;
        if (UNIX_LISTEN.equals(mode)) {
            Files.deleteIfExists(path);
            if (path.getParent() != null) {
                Files.createDirectories(path.getParent());
            }
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(path));
            hostThread = new Thread(this::acceptHosts, "qga-listen " + path);
        } else if (VIRTIO_SERIAL.equals(mode)) {
            hostThread = new Thread(this::servePort, "qga-port " + path);
        } else {
            throw new IllegalArgumentException("mode must be " + VIRTIO_SERIAL + " or " + UNIX_LISTEN + ", not " + mode);
        }
        hostThread.setDaemon(true);
        hostThread.start();
        LOG.log(Level.INFO, "QGA channel {0}", describe());
    }

    @Deactivate
    void deactivate() throws InterruptedException {
        running = false;
        closeQuietly(server);
        closeQuietly(portFile);
        Connection c = current;
        if (c != null) {
            c.end("agent stopping");
        }
        if (hostThread != null) {
            hostThread.interrupt();
            hostThread.join(5000);
        }
        if (UNIX_LISTEN.equals(mode)) {
            try {
                Files.deleteIfExists(path);
            } catch (IOException e) {
                LOG.log(Level.DEBUG, "cannot remove " + path, e);
            }
        }
        incoming.clear();
    }

    @Override
    public String describe() {
        return (UNIX_LISTEN.equals(mode) ? "unix-listen:" : "virtio-serial:") + path;
    }

    @Override
    public RawRequest receive() throws InterruptedException {
        Incoming next = incoming.poll(receiveWaitMillis, TimeUnit.MILLISECONDS);
        while (next != null && next.connection != current) {
            next = incoming.poll(); // of a host that left: drop it
        }
        return next == null ? null : next.request;
    }

    @Override
    public void reply(RawRequest request, byte[] response) {
        Connection c = current;
        if (c != null && request.id().startsWith(c.prefix)) {
            c.send(response);
        }
    }

    /** unix-listen: one host at a time; a new one replaces the old. */
    private void acceptHosts() {
        while (running) {
            SocketChannel socket;
            try {
                socket = server.accept();
            } catch (IOException e) {
                if (running) {
                    LOG.log(Level.WARNING, "cannot accept on " + path + ": " + e);
                }
                return;
            }
            Connection c = start(socket, true);
            Thread reader = new Thread(() -> readHost(c, socket), "qga-read " + c.prefix);
            reader.setDaemon(true);
            reader.start();
        }
    }

    private void readHost(Connection c, SocketChannel socket) {
        ByteBuffer buffer = ByteBuffer.allocate(65536);
        try {
            while (running && !c.ended()) {
                buffer.clear();
                int n = socket.read(buffer);
                if (n < 0) {
                    break;
                }
                c.splitter.feed(buffer.array(), 0, n);
            }
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "host connection {0} ended: {1}", c.prefix, e);
        }
        c.end("host disconnected");
    }

    /**
     * virtio-serial: the port stays open; with no host on the other side, reads see end of file (a
     * hang-up), so the port is looked at again after a pause. Data after that is a new host.
     */
    private void servePort() {
        ByteBuffer buffer = ByteBuffer.allocate(65536);
        boolean reportedMissing = false;
        while (running) {
            try {
                if (port == null || !port.isOpen() || !portOut.isOpen()) {
                    closeQuietly(portFile);
                    if (!Files.exists(path)) {
                        throw new NoSuchFileException(path.toString());
                    }
                    // one channel would serialise a blocked read and a write on its position lock
                    portFile = new java.io.RandomAccessFile(path.toFile(), "rw");
                    port = new java.io.FileInputStream(portFile.getFD()).getChannel();
                    portOut = new java.io.FileOutputStream(portFile.getFD()).getChannel();
                    reportedMissing = false;
                }
                buffer.clear();
                int n = port.read(buffer);
                if (n <= 0) {
                    Connection c = current;
                    if (c != null && c.channel == portOut) {
                        c.end("host disconnected");
                    }
                    Thread.sleep(idlePollMillis);
                    continue;
                }
                Connection c = current;
                if (c == null || c.ended() || c.channel != portOut) {
                    c = start(portOut, false);
                }
                c.splitter.feed(buffer.array(), 0, n);
            } catch (NoSuchFileException e) {
                if (!reportedMissing) {
                    LOG.log(Level.INFO, "no QGA port {0} yet; waiting for it", path);
                    reportedMissing = true;
                }
                try {
                    awaitCreated(path);
                } catch (InterruptedException stopping) {
                    return;
                } catch (IOException notWatchable) {
                    LOG.log(Level.DEBUG, "cannot watch for " + path + ": " + notWatchable);
                    sleepQuietly();
                }
            } catch (InterruptedException e) {
                return;
            } catch (IOException e) {
                if (running) {
                    LOG.log(Level.DEBUG, "QGA port " + path + ": " + e);
                    closeQuietly(portFile);
                    port = null;
                    sleepQuietly();
                }
            }
        }
    }

    /**
     * Blocks until the file exists, woken by the kernel's file notification (inotify) on the nearest
     * folder that exists (the port's folder, /dev/virtio-ports, appears with the first port): no
     * timer wakes an agent whose guest has no port.
     */
    static void awaitCreated(Path file) throws IOException, InterruptedException {
        Path target = file.toAbsolutePath().normalize();
        while (!Files.exists(target)) {
            Path folder = target.getParent();
            while (folder != null && !Files.isDirectory(folder)) {
                folder = folder.getParent();
            }
            if (folder == null) {
                throw new NoSuchFileException(target.toString());
            }
            try (java.nio.file.WatchService watcher = folder.getFileSystem().newWatchService()) {
                folder.register(watcher, java.nio.file.StandardWatchEventKinds.ENTRY_CREATE);
                Path next = folder.resolve(folder.relativize(target).getName(0));
                if (!Files.exists(next)) { // created before the watch began: look again at once
                    watcher.take();
                }
            }
        }
    }

    private void sleepQuietly() {
        try {
            Thread.sleep(idlePollMillis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    private Connection start(ByteChannel channel, boolean ownsChannel) {
        Connection previous = current;
        if (previous != null) {
            previous.end("a new host connected");
        }
        Connection c = new Connection(generations.incrementAndGet(), channel, ownsChannel);
        current = c;
        Thread writer = new Thread(c::writeAnswers, "qga-write " + c.prefix);
        writer.setDaemon(true);
        c.writer = writer;
        writer.start();
        return c;
    }

    private static void closeQuietly(java.io.Closeable closeable) {
        if (closeable != null) {
            try {
                closeable.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }

    /** One host connection: its splitter, its answers waiting to go out, its writer. */
    private final class Connection {
        final String prefix;
        final ByteChannel channel;
        final boolean ownsChannel;
        final MessageSplitter splitter;
        final ArrayDeque<ByteBuffer> answers = new ArrayDeque<>();
        long sequence;
        int pendingBytes;
        boolean ended;
        boolean writing;
        Thread writer;

        Connection(long generation, ByteChannel channel, boolean ownsChannel) {
            this.prefix = "qga" + generation + ":";
            this.channel = channel;
            this.ownsChannel = ownsChannel;
            this.splitter = new MessageSplitter(requestLimit, this::received);
        }

        private void received(byte[] message) {
            RawRequest request = new RawRequest(prefix + (++sequence), message);
            try {
                // a full queue holds the reader back, and with it the host: no unbounded memory
                while (!ended() && !incoming.offer(new Incoming(this, request), 1, TimeUnit.SECONDS)) {
                    // wait for the dispatcher
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                end("interrupted");
            }
        }

        synchronized boolean ended() {
            return ended;
        }

        void send(byte[] answer) {
            synchronized (this) {
                if (ended) {
                    return;
                }
                // the limit bounds a backlog: one answer larger than it (guest-exec-status with 16 MiB of
                // output, a 48 MiB guest-file-read) still goes to a host that has read all before it
                if (pendingBytes == 0 || pendingBytes + answer.length <= outputLimit) {
                    answers.add(ByteBuffer.wrap(answer));
                    pendingBytes += answer.length;
                    notifyAll();
                    return;
                }
            }
            LOG.log(Level.WARNING, "host {0} does not read its answers ({1} bytes waiting); dropping the connection",
                    prefix, pendingBytes);
            end("host stalled");
        }

        /**
         * Writes what waits, all of it at once: answers that piled up while the last write ran go
         * out in one write (a pipelining host gets them with one system call, not one each).
         */
        void writeAnswers() {
            try {
                while (true) {
                    ByteBuffer batch;
                    int batchBytes;
                    synchronized (this) {
                        while (answers.isEmpty() && !ended) {
                            wait();
                        }
                        if (ended) {
                            return;
                        }
                        batch = answers.size() == 1 ? answers.poll() : joined(answers);
                        batchBytes = pendingBytes;
                        answers.clear();
                        writing = true;
                    }
                    while (batch.hasRemaining()) {
                        channel.write(batch);
                    }
                    synchronized (this) {
                        writing = false;
                        if (!ended) {
                            pendingBytes -= batchBytes;
                        }
                    }
                }
            } catch (InterruptedException e) {
                // ended
            } catch (IOException e) {
                LOG.log(Level.DEBUG, "cannot answer host {0}: {1}", prefix, e);
                end("host gone");
            }
        }

        private static ByteBuffer joined(ArrayDeque<ByteBuffer> buffers) {
            int size = 0;
            for (ByteBuffer b : buffers) {
                size += b.remaining();
            }
            ByteBuffer all = ByteBuffer.allocate(size);
            for (ByteBuffer b : buffers) {
                all.put(b);
            }
            return all.flip();
        }

        void end(String why) {
            boolean blockedWriter;
            synchronized (this) {
                if (ended) {
                    return;
                }
                ended = true;
                blockedWriter = writing;
                answers.clear();
                pendingBytes = 0;
                notifyAll();
            }
            LOG.log(Level.DEBUG, "host connection {0} ended: {1}", prefix, why);
            incoming.removeIf(i -> i.connection == this);
            if (ownsChannel) {
                closeQuietly(channel);
            } else if (blockedWriter && writer != null) {
                writer.interrupt(); // closes the port; the port loop opens it again
            }
        }
    }
}
