package org.guestagent.exchange.xenstore;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;

import org.guestagent.api.Exchange;
import org.guestagent.api.RawRequest;
import org.guestagent.xenstore.XenStoreClient;
import org.guestagent.xenstore.XenStoreDisconnectedException;
import org.guestagent.xenstore.XenStoreEndpoint;
import org.guestagent.xenstore.XenStoreException;
import org.guestagent.xenstore.XenStoreTransaction;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The nova-json exchange over XenStore. The host writes {@code data/host/<id>}; a watch on
 * {@code data/host} queues each new id at once (a slow full rescan is the safety net). Each request
 * is handed out once, in arrival order; the answer removes {@code data/host/<id>} and writes
 * {@code data/guest/<id>} in one transaction. A request the host deleted meanwhile (it gave up)
 * is dropped quietly. Request bodies go to the parser as raw bytes, whatever they hold.
 */
@Component(configurationPid = XenStoreExchangeConfig.PID, property = Exchange.PROTOCOL + "=nova-json")
@Designate(ocd = XenStoreExchangeConfig.class)
public final class XenStoreExchange implements Exchange {

    private static final System.Logger LOG = System.getLogger(XenStoreExchange.class.getName());
    /** How long receive() waits before returning null, so the dispatcher can notice a stop. */
    private static final long RECEIVE_WAIT_MS = 1000;
    /** Queued by close() to wake a waiting receive(). */
    private static final String CLOSING = new String("closing");

    /** What the exchange needs to know; the DS configuration maps onto it. */
    public record Settings(String requestPath, String responsePath, Duration rescanInterval, Duration replyPatience) {
        static Settings of(XenStoreExchangeConfig c) {
            return new Settings(c.request_path(), c.response_path(), Duration.ofSeconds(Math.max(1, c.rescan_interval_seconds())),
                    Duration.ofSeconds(Math.max(1, c.request_timeout_seconds()) * 2L));
        }
    }

    /** Set by DS when the XenStore simulator runs in the container: then we talk to it. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY)
    private XenStoreEndpoint simulator;

    private XenStoreClient client;
    private Settings settings;
    private final LinkedBlockingDeque<String> queue = new LinkedBlockingDeque<>();
    /** Ids queued or answered and still listed; guarded by itself. */
    private final Set<String> known = new HashSet<>();
    private final Object scanSignal = new Object();
    private boolean scanWanted = true; // guarded by scanSignal; the first scan runs at once
    /** A requested scan has not offered its ids yet; guarded by scanSignal. */
    private boolean scanPending = true;
    private volatile boolean closed;
    private Thread scanner;

    @Activate
    void activate(XenStoreExchangeConfig config) {
        start(XenStoreConnections.open(config, simulator), Settings.of(config));
    }

    @Deactivate
    void deactivate() {
        close();
    }

    /** Starts serving on a client (which this exchange then owns and closes). */
    public void start(XenStoreClient xenstore, Settings config) {
        this.client = xenstore;
        this.settings = config;
        client.addConnectionListener(this::requestScan);
        scanner = new Thread(this::scanLoop, "xenstore-exchange-scanner");
        scanner.setDaemon(true);
        scanner.start();
        LOG.log(Level.INFO, "XenStore exchange on {0}, requests under {1}", client.describe(), settings.requestPath());
    }

    public void close() {
        closed = true;
        queue.addFirst(CLOSING);
        if (scanner != null) {
            scanner.interrupt();
        }
        if (client != null) {
            client.close();
        }
    }

    @Override
    public String describe() {
        return "xenstore:" + (client == null ? "?" : client.describe());
    }

    @Override
    public RawRequest receive() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(RECEIVE_WAIT_MS);
        while (!closed) {
            String id = queue.pollFirst(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (id == null || id == CLOSING) {
                return null;
            }
            try {
                Optional<byte[]> body = client.readIfExists(requestNode(id));
                if (body.isPresent()) {
                    return new RawRequest(id, body.get());
                }
                LOG.log(Level.DEBUG, "Request {0} was gone before it was read", id);
            } catch (XenStoreDisconnectedException e) {
                queue.addFirst(id); // read it again once XenStore is back
                return null;
            } catch (IOException e) {
                LOG.log(Level.WARNING, "Skipping request {0}: {1}", id, e.getMessage());
            }
        }
        return null;
    }

    @Override
    public void reply(RawRequest request, byte[] response) throws IOException {
        long deadline = System.nanoTime() + settings.replyPatience().toNanos();
        while (true) {
            try {
                if (!answer(request.id(), response)) {
                    LOG.log(Level.INFO, "Request {0} was withdrawn by the host; its answer is dropped", request.id());
                }
                return;
            } catch (XenStoreDisconnectedException e) {
                // The transaction died with the connection; running it again is safe, because a
                // request that was answered after all is gone and is then dropped.
                long left = deadline - System.nanoTime();
                if (closed || left <= 0 || !awaitConnected(left)) {
                    throw new IOException("Could not answer request " + request.id()
                            + ": XenStore at " + client.describe() + " is unreachable");
                }
            } catch (XenStoreException e) {
                if (!"E2BIG".equals(e.errno())) {
                    throw e;
                }
                LOG.log(Level.WARNING, "The answer to request {0} ({1} bytes) is too large for XenStore; "
                        + "removing the request without an answer", request.id(), response.length);
                client.rm(requestNode(request.id()));
                return;
            }
        }
    }

    /** One transaction: still there? remove the request, write the response. The three go out pipelined. */
    private boolean answer(String id, byte[] response) throws IOException {
        return client.inTransaction(tx -> {
            CompletableFuture<byte[]> read = tx.readAsync(requestNode(id));
            CompletableFuture<byte[]> rm = tx.rmAsync(requestNode(id));
            CompletableFuture<byte[]> write = tx.writeAsync(settings.responsePath() + "/" + id, response);
            boolean present = stillThere(tx, read);
            tx.await(rm, "rm " + id);
            tx.await(write, "write answer " + id);
            if (!present) {
                tx.abort();
            }
            return present;
        });
    }

    private static boolean stillThere(XenStoreTransaction tx, CompletableFuture<byte[]> read) throws IOException {
        try {
            tx.await(read, "read request");
            return true;
        } catch (XenStoreException e) {
            if (e.isNoEntry()) {
                return false;
            }
            throw e;
        }
    }

    private String requestNode(String id) {
        return settings.requestPath() + "/" + id;
    }

    // ---- finding requests ----

    /**
     * Watch events: a changed request node names its id; anything else asks for a full scan.
     * While a scan is pending, ids wait for it, so that requests written before the watch (found
     * by the scan) keep their place ahead of later ones (found by events).
     */
    private void onWatchEvent(String path, String token) {
        String prefix = settings.requestPath() + "/";
        synchronized (scanSignal) {
            if (scanPending) {
                requestScan();
                return;
            }
        }
        if (path.startsWith(prefix)) {
            String rest = path.substring(prefix.length());
            int slash = rest.indexOf('/');
            offer(List.of(slash < 0 ? rest : rest.substring(0, slash)));
        } else {
            requestScan();
        }
    }

    private void offer(List<String> ids) {
        synchronized (known) {
            for (String id : ids) {
                if (known.add(id)) {
                    queue.addLast(id);
                }
            }
        }
    }

    private void requestScan() {
        synchronized (scanSignal) {
            scanWanted = true;
            scanPending = true;
            scanSignal.notifyAll();
        }
    }

    private void scanLoop() {
        boolean watching = false;
        while (!closed) {
            try {
                if (!watching) {
                    client.watch(settings.requestPath(), this::onWatchEvent);
                    watching = true; // a reconnecting client registers it again after each reconnect
                }
                synchronized (scanSignal) {
                    if (!scanWanted) {
                        scanSignal.wait(settings.rescanInterval().toMillis());
                    }
                    scanWanted = false;
                }
                scan();
                synchronized (scanSignal) {
                    scanPending = scanWanted; // an event during the scan asked for another one
                }
            } catch (InterruptedException e) {
                return;
            } catch (IOException e) {
                LOG.log(Level.DEBUG, "XenStore scan failed: {0}", e.getMessage());
                pause();
            }
        }
    }

    /** Lists the request folder: queues new ids in listing (= creation) order, forgets ids that are gone. */
    private void scan() throws IOException {
        List<String> listed;
        try {
            listed = client.directory(settings.requestPath());
        } catch (XenStoreException e) {
            if (!e.isNoEntry()) {
                throw e;
            }
            listed = List.of();
        }
        offer(listed);
        synchronized (known) {
            known.retainAll(new HashSet<>(listed));
        }
    }

    private boolean awaitConnected(long nanos) {
        try {
            return client.awaitConnected(Duration.ofNanos(nanos));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private void pause() {
        try {
            Thread.sleep(500);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
