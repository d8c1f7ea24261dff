package org.guestagent.exchange.xenstore;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;

import org.guestagent.api.transport.RawRequest;
import org.guestagent.xenstore.XenStoreClient;
import org.guestagent.xenstore.XenStoreDisconnectedException;
import org.guestagent.xenstore.XenStoreException;

/**
 * Finds the host's requests: a watch on the request folder queues each new id at once, a slow
 * full rescan is the safety net. Each request is handed out once, in arrival order, with its body
 * as raw bytes; the bodies of the next queued requests are read while one is served (read-ahead).
 * A request the host deleted meanwhile (it gave up) is dropped quietly.
 */
final class XenStoreRequests {

    private static final System.Logger LOG = System.getLogger(XenStoreExchange.class.getName());
    /** How many queued requests may have their read on the wire ahead of their turn. */
    private static final int READ_AHEAD = 4;
    /** Queued by close() to wake a waiting next(). */
    private static final String CLOSING = new String("closing");

    private final XenStoreClient client;
    private final XenStoreExchange.Settings settings;
    private final LinkedBlockingDeque<String> queue = new LinkedBlockingDeque<>();
    /** Ids queued or answered and still listed; guarded by itself. */
    private final Set<String> known = new HashSet<>();
    /** Reads sent ahead by {@link #readAhead()}, by request id. */
    private final Map<String, CompletableFuture<byte[]>> readAhead = new ConcurrentHashMap<>();
    private final Object scanSignal = new Object();
    private boolean scanWanted = true; // guarded by scanSignal; the first scan runs at once
    /** A requested scan has not offered its ids yet; guarded by scanSignal. */
    private boolean scanPending = true;
    private volatile boolean closed;
    private Thread scanner;

    XenStoreRequests(XenStoreClient client, XenStoreExchange.Settings settings) {
        this.client = client;
        this.settings = settings;
    }

    void start() {
        client.addConnectionListener(this::requestScan);
        scanner = new Thread(this::scanLoop, "xenstore-exchange-scanner");
        scanner.setDaemon(true);
        scanner.start();
    }

    void close() {
        closed = true;
        queue.addFirst(CLOSING);
        if (scanner != null) {
            scanner.interrupt();
        }
    }

    /** The next request, or null after {@code waitMillis} without one or once closed. */
    RawRequest next(long waitMillis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMillis);
        while (!closed) {
            String id = queue.pollFirst(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (id == null || id == CLOSING) {
                return null;
            }
            CompletableFuture<byte[]> read = readAhead.remove(id);
            if (read == null) {
                read = client.readAsync(settings.requestNode(id));
            }
            readAhead(); // the next bodies travel while this request is served
            try {
                return new RawRequest(id, client.await(read, "read request " + id));
            } catch (XenStoreDisconnectedException e) {
                readAhead.clear(); // those reads died with the connection
                queue.addFirst(id); // read it again once XenStore is back
                return null;
            } catch (XenStoreException e) {
                if (e.isNoEntry()) {
                    LOG.log(Level.DEBUG, "Request {0} was gone before it was read", id);
                } else {
                    LOG.log(Level.WARNING, "Skipping request {0}: {1}", id, e.getMessage());
                }
            } catch (IOException e) {
                LOG.log(Level.WARNING, "Skipping request {0}: {1}", id, e.getMessage());
            }
        }
        return null;
    }

    /**
     * Sends the reads of the next queued requests without waiting for them, so a burst costs one
     * round trip less per request. Only the dispatcher thread calls this (from next()).
     */
    private void readAhead() {
        int sent = 0;
        for (String next : queue) {
            // while XenStore is away a read would wait for it: then read only what is due
            if (sent == READ_AHEAD || next == CLOSING || !client.isConnected()) {
                break;
            }
            if (!readAhead.containsKey(next)) {
                readAhead.put(next, client.readAsync(settings.requestNode(next)));
            }
            sent++;
        }
    }

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

    private static void pause() {
        try {
            Thread.sleep(500);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
