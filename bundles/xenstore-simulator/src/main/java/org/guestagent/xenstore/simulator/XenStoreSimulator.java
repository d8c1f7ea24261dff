package org.guestagent.xenstore.simulator;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An in-memory xenstored on unix sockets, speaking xs_wire. Each socket serves connections as one
 * domain: relative paths resolve below {@code /local/domain/<domid>} as they do on a real guest,
 * and only domain 0 may use the privileged operations. Usable as a plain class
 * ({@link #start(Path)}, {@link #stop()}), as a DS component ({@link SimulatorComponent}), and
 * standalone ({@link #main}).
 */
public final class XenStoreSimulator implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(XenStoreSimulator.class.getName());
    public static final int DEFAULT_GUEST_DOMID = 1;
    /** C xenstored's default node quota per domain. */
    public static final int DEFAULT_NODE_QUOTA = Store.DEFAULT_NODE_QUOTA;

    private final Store store;
    private final int guestDomid;
    private final List<Listener> listeners = new ArrayList<>();
    private final AtomicInteger connectionNumbers = new AtomicInteger();

    private record Listener(Path socket, ServerSocketChannel server, int domid, List<Connection> connections) {
    }

    public XenStoreSimulator() {
        this(DEFAULT_GUEST_DOMID, null);
    }

    /**
     * @param guestDomid the domain that connections on {@link #start(Path)} act as
     * @param stateFile where the tree is kept across restarts (written after every change), or null
     */
    public XenStoreSimulator(int guestDomid, Path stateFile) {
        this.guestDomid = guestDomid;
        this.store = new Store(stateFile);
        store.ensureHome(guestDomid);
    }

    public int guestDomid() {
        return guestDomid;
    }

    /**
     * Sets the number of nodes each unprivileged domain may own (C xenstored's {@code --entry-nb},
     * default {@value #DEFAULT_NODE_QUOTA}); creating one more fails with EQUOTA. Dom0 is exempt.
     */
    public XenStoreSimulator nodeQuota(int quota) {
        store.nodeQuota(quota);
        return this;
    }

    public int nodeQuota() {
        return store.nodeQuota();
    }

    /** How many nodes the domain owns, as they count against its quota. */
    public int nodesOwnedBy(int domid) {
        return store.nodesOwnedBy(domid);
    }

    /** Listens for guest connections (domain {@link #guestDomid()}) on this socket. */
    public XenStoreSimulator start(Path socket) throws IOException {
        return listen(socket, guestDomid);
    }

    /** Listens on another socket whose connections act as the given domain, e.g. 0 for the host. */
    public synchronized XenStoreSimulator listen(Path socket, int domid) throws IOException {
        Path dir = socket.toAbsolutePath().getParent();
        if (dir != null && !Files.isDirectory(dir)) {
            // Whoever can reach the socket controls the agent: keep its folder private.
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        removeStaleSocket(socket);
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        store.ensureHome(domid);
        Listener listener = new Listener(socket, server, domid, new ArrayList<>());
        listeners.add(listener);
        Thread accept = new Thread(() -> acceptLoop(listener), "xenstore-simulator-accept");
        accept.setDaemon(true);
        accept.start();
        LOG.log(Level.INFO, "XenStore simulator listening on {0} as domain {1}", socket, domid);
        return this;
    }

    /** A socket file left by a process that died is removed; one somebody still serves is not taken over. */
    private static void removeStaleSocket(Path socket) throws IOException {
        if (!Files.exists(socket)) {
            return;
        }
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            probe.connect(UnixDomainSocketAddress.of(socket));
            throw new IOException("Another XenStore server is already listening on " + socket);
        } catch (java.net.ConnectException e) {
            Files.deleteIfExists(socket);
        }
    }

    private void acceptLoop(Listener listener) {
        while (true) {
            try {
                SocketChannel client = listener.server().accept();
                Connection connection = new Connection(client, listener.domid(), store);
                synchronized (this) {
                    if (!listener.server().isOpen()) {
                        connection.close(); // stop() ran while this one was being accepted
                        return;
                    }
                    listener.connections().add(connection);
                }
                connection.start("xenstore-simulator-" + connectionNumbers.incrementAndGet());
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                LOG.log(Level.WARNING, "XenStore simulator could not accept a connection: {0}", e.getMessage());
                return;
            }
        }
    }

    /** The socket of the first listener, or null before {@link #start}. */
    public synchronized Path socketPath() {
        return listeners.isEmpty() ? null : listeners.get(0).socket();
    }

    /** Open client connections, for tests. */
    public int connectionCount() {
        return store.connectionCount();
    }

    /**
     * Drops every open connection acting as this domain, as a restarting xenstored would; the
     * tree stays and the sockets keep listening, so clients can connect again at once.
     */
    public synchronized void disconnect(int domid) {
        for (Listener listener : listeners) {
            if (listener.domid() == domid) {
                listener.connections().forEach(Connection::close);
                listener.connections().clear();
            }
        }
    }

    /** Closes every socket and connection; the tree is kept only in the state file, if any. */
    public synchronized void stop() {
        for (Listener listener : listeners) {
            try {
                listener.server().close();
                Files.deleteIfExists(listener.socket());
            } catch (IOException e) {
                LOG.log(Level.WARNING, "Could not close {0}: {1}", listener.socket(), e.getMessage());
            }
            listener.connections().forEach(Connection::close);
        }
        listeners.clear();
    }

    @Override
    public void close() {
        stop();
    }

    /**
     * Standalone: {@code --socket PATH [--domid N] [--dom0-socket PATH] [--state FILE] [--quota NODES]}.
     * Runs until killed.
     */
    public static void main(String[] args) throws Exception {
        Path socket = null;
        Path dom0Socket = null;
        Path state = null;
        int domid = DEFAULT_GUEST_DOMID;
        int quota = DEFAULT_NODE_QUOTA;
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--socket" -> socket = Path.of(value);
                case "--dom0-socket" -> dom0Socket = Path.of(value);
                case "--state" -> state = Path.of(value);
                case "--domid" -> domid = Integer.parseInt(value);
                case "--quota" -> quota = Integer.parseInt(value);
                default -> {
                    System.err.println("usage: XenStoreSimulator --socket PATH [--domid N] [--dom0-socket PATH] [--state FILE] [--quota NODES]");
                    System.exit(2);
                }
            }
            i++;
        }
        if (socket == null) {
            System.err.println("usage: XenStoreSimulator --socket PATH [--domid N] [--dom0-socket PATH] [--state FILE] [--quota NODES]");
            System.exit(2);
        }
        XenStoreSimulator simulator = new XenStoreSimulator(domid, state).nodeQuota(quota);
        simulator.start(socket);
        if (dom0Socket != null) {
            simulator.listen(dom0Socket, 0);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(simulator::stop));
        System.out.println("XenStore simulator listening on " + socket + " (domain " + domid + ")");
        System.out.flush();
        new CountDownLatch(1).await();
    }
}
