package org.guestagent.xenstore;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A XenStore client. Requests may be sent from any thread; a reader thread matches replies to
 * requests by req_id and hands WATCH_EVENTs (req_id 0, interleaved with replies) to the watch
 * listeners on a separate event thread, so a listener may itself call the client.
 * <p>
 * A client made with {@link #openReconnecting} keeps trying to (re)connect with backoff, registers
 * its watches again after each reconnect, and lets requests wait for the connection up to the
 * request timeout. Requests in flight when a connection drops fail with
 * {@link XenStoreDisconnectedException}.
 */
public final class XenStoreClient implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(XenStoreClient.class.getName());
    private static final long MIN_BACKOFF_MS = 20;
    private static final long MAX_BACKOFF_MS = 2000;
    private static final int MAX_TRANSACTION_ATTEMPTS = 200;

    private final XenStoreTransport transport;
    private final boolean reconnect;
    private final long requestTimeoutNanos;
    private final AtomicInteger nextReqId = new AtomicInteger(1);
    private final AtomicInteger nextToken = new AtomicInteger(1);
    private final Map<Integer, CompletableFuture<XsMessage>> pending = new ConcurrentHashMap<>();
    private final Map<String, Watch> watches = new ConcurrentHashMap<>();
    private final List<Runnable> connectionListeners = new CopyOnWriteArrayList<>();
    private final ExecutorService events;
    private final Object stateLock = new Object();
    private final Object writeLock = new Object();
    private XsChannel channel; // guarded by stateLock; null while disconnected
    private volatile boolean closed;
    private Thread reader;

    /** One registered watch; the handle to pass to {@link #unwatch}. */
    public record Watch(String path, String token, WatchListener listener) {
    }

    /** A block run inside a transaction by {@link #inTransaction}. */
    @FunctionalInterface
    public interface TransactionBlock<T> {
        T run(XenStoreTransaction tx) throws IOException;
    }

    private XenStoreClient(XenStoreTransport transport, boolean reconnect, Duration requestTimeout) {
        this.transport = transport;
        this.reconnect = reconnect;
        this.requestTimeoutNanos = requestTimeout.toNanos();
        this.events = Executors.newSingleThreadExecutor(r -> daemon(r, "xenstore-events"));
    }

    /** Connects now (failing if xenstored cannot be reached); no reconnect. */
    public static XenStoreClient open(XenStoreTransport transport) throws IOException {
        return open(transport, Duration.ofSeconds(30));
    }

    public static XenStoreClient open(XenStoreTransport transport, Duration requestTimeout) throws IOException {
        XenStoreClient client = new XenStoreClient(transport, false, requestTimeout);
        client.channel = transport.open();
        client.startReader();
        return client;
    }

    /** Returns at once; connects in the background and reconnects with backoff whenever the connection drops. */
    public static XenStoreClient openReconnecting(XenStoreTransport transport, Duration requestTimeout) {
        XenStoreClient client = new XenStoreClient(transport, true, requestTimeout);
        client.startReader();
        return client;
    }

    public String describe() {
        return transport.describe();
    }

    public boolean isConnected() {
        synchronized (stateLock) {
            return channel != null;
        }
    }

    /** Waits until connected; false when the time ran out or the client was closed. */
    public boolean awaitConnected(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (stateLock) {
            while (channel == null && !closed) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(stateLock, left);
            }
            return channel != null;
        }
    }

    /** Runs on the event thread after every successful (re)connect, after watches were registered again. */
    public void addConnectionListener(Runnable listener) {
        connectionListeners.add(listener);
    }

    // ---- operations (tx 0 = outside a transaction) ----

    public byte[] read(String path) throws IOException {
        return read(null, path);
    }

    public Optional<byte[]> readIfExists(String path) throws IOException {
        return readIfExists(null, path);
    }

    /**
     * Sends a read without waiting, so several reads can be on the wire at once; collect the
     * value with {@link #await} (a missing node fails with a {@link XenStoreException} whose
     * {@link XenStoreException#isNoEntry()} is true).
     */
    public CompletableFuture<byte[]> readAsync(String path) {
        return request(XsOperation.READ, XsMessage.strings(path), "read " + path);
    }

    public String readString(String path) throws IOException {
        return new String(read(path), StandardCharsets.UTF_8);
    }

    public void write(String path, byte[] value) throws IOException {
        write(null, path, value);
    }

    public void write(String path, String value) throws IOException {
        write(null, path, value.getBytes(StandardCharsets.UTF_8));
    }

    public void mkdir(String path) throws IOException {
        call(XsOperation.MKDIR, null, XsMessage.strings(path), "mkdir " + path);
    }

    /** Removes the node and everything below it; no error when it is already gone. */
    public void rm(String path) throws IOException {
        rm(null, path);
    }

    public List<String> directory(String path) throws IOException {
        return directory(null, path);
    }

    public List<String> getPermissions(String path) throws IOException {
        return XsMessage.split(call(XsOperation.GET_PERMS, null, XsMessage.strings(path), "get-perms " + path));
    }

    public void setPermissions(String path, List<String> permissions) throws IOException {
        List<String> parts = new ArrayList<>();
        parts.add(path);
        parts.addAll(permissions);
        call(XsOperation.SET_PERMS, null, XsMessage.strings(parts.toArray(String[]::new)), "set-perms " + path);
    }

    public String getDomainPath(int domid) throws IOException {
        return firstString(call(XsOperation.GET_DOMAIN_PATH, null, XsMessage.strings(Integer.toString(domid)),
                "get-domain-path " + domid));
    }

    public XenStoreTransaction startTransaction() throws IOException {
        XsChannel before = currentChannel();
        String id = firstString(call(XsOperation.TRANSACTION_START, null, XsMessage.strings(""), "transaction start"));
        XsChannel after = currentChannel();
        if (before == null || before != after) {
            throw new XenStoreDisconnectedException("Lost the connection to XenStore at " + describe()
                    + " while starting a transaction");
        }
        try {
            return new XenStoreTransaction(this, Integer.parseUnsignedInt(id), after);
        } catch (NumberFormatException e) {
            throw new IOException("XenStore answered transaction start with '" + id + "', not a number");
        }
    }

    /**
     * Runs the block in a transaction and commits it; when the commit (or an operation) fails
     * with EAGAIN, runs the whole block again. A block may {@link XenStoreTransaction#abort()}
     * to finish without committing.
     */
    public <T> T inTransaction(TransactionBlock<T> block) throws IOException {
        for (int attempt = 1;; attempt++) {
            XenStoreTransaction tx = startTransaction();
            try {
                T result = block.run(tx);
                if (!tx.isFinished()) {
                    tx.commit();
                }
                return result;
            } catch (XenStoreException e) {
                tx.abortQuietly();
                if (!e.isTryAgain() || attempt >= MAX_TRANSACTION_ATTEMPTS) {
                    throw e;
                }
                pause(ThreadLocalRandom.current().nextLong(1, Math.min(attempt, 20) + 1));
            } catch (IOException | RuntimeException e) {
                tx.abortQuietly();
                throw e;
            }
        }
    }

    /** Watches path and everything below it; the server fires one event at once. */
    public Watch watch(String path, WatchListener listener) throws IOException {
        return watch(path, "ga-" + nextToken.getAndIncrement(), listener);
    }

    public Watch watch(String path, String token, WatchListener listener) throws IOException {
        Watch watch = new Watch(path, token, listener);
        if (watches.putIfAbsent(token, watch) != null) {
            throw new IllegalArgumentException("Watch token already in use: " + token);
        }
        try {
            call(XsOperation.WATCH, null, XsMessage.strings(path, token), "watch " + path);
        } catch (IOException e) {
            // EEXIST: a reconnect registered it already; disconnected: a reconnect will register it
            boolean registeredAnyway = e instanceof XenStoreException x && "EEXIST".equals(x.errno());
            if (!registeredAnyway && !(e instanceof XenStoreDisconnectedException && reconnect)) {
                watches.remove(token); // a reconnecting client registers it after reconnect
                throw e;
            }
        }
        return watch;
    }

    public void unwatch(Watch watch) throws IOException {
        if (watches.remove(watch.token()) != null) {
            call(XsOperation.UNWATCH, null, XsMessage.strings(watch.path(), watch.token()), "unwatch " + watch.path());
        }
    }

    // ---- with a transaction id; used by XenStoreTransaction ----

    byte[] read(XenStoreTransaction tx, String path) throws IOException {
        return call(XsOperation.READ, tx, XsMessage.strings(path), "read " + path);
    }

    Optional<byte[]> readIfExists(XenStoreTransaction tx, String path) throws IOException {
        try {
            return Optional.of(read(tx, path));
        } catch (XenStoreException e) {
            if (e.isNoEntry()) {
                return Optional.empty();
            }
            throw e;
        }
    }

    void write(XenStoreTransaction tx, String path, byte[] value) throws IOException {
        call(XsOperation.WRITE, tx, XsMessage.pathAndValue(path, value), "write " + path);
    }

    void rm(XenStoreTransaction tx, String path) throws IOException {
        call(XsOperation.RM, tx, XsMessage.strings(path), "rm " + path);
    }

    List<String> directory(XenStoreTransaction tx, String path) throws IOException {
        try {
            return XsMessage.split(call(XsOperation.DIRECTORY, tx, XsMessage.strings(path), "directory " + path));
        } catch (XenStoreException e) {
            if ("E2BIG".equals(e.errno())) {
                return directoryInParts(tx, path);
            }
            throw e;
        }
    }

    /**
     * DIRECTORY_PART, for directories whose listing exceeds one payload: each answer is a
     * generation followed by names from a byte offset; the list ends with an extra NUL. When the
     * generation changes between parts, start over (as libxenstore does).
     */
    private List<String> directoryInParts(XenStoreTransaction tx, String path) throws IOException {
        ByteArrayOutputStream names = new ByteArrayOutputStream();
        String generation = null;
        for (int round = 0; round < 100_000; round++) {
            int offset = names.size();
            byte[] reply = call(XsOperation.DIRECTORY_PART, tx, XsMessage.strings(path, Integer.toString(offset)),
                    "directory " + path);
            int genEnd = indexOfNul(reply, 0);
            String gen = new String(reply, 0, genEnd, StandardCharsets.UTF_8);
            if (generation != null && !generation.equals(gen)) {
                names.reset();
                generation = null;
                continue;
            }
            generation = gen;
            int chunk = reply.length - genEnd - 1;
            names.write(reply, genEnd + 1, chunk);
            // The list ends with an extra NUL: a chunk ending in two NULs, or a lone NUL.
            boolean last = chunk <= 1 || (reply[reply.length - 1] == 0 && reply[reply.length - 2] == 0);
            if (last) {
                List<String> result = XsMessage.split(names.toByteArray());
                result.removeIf(String::isEmpty);
                return result;
            }
        }
        throw new IOException("XenStore directory " + path + " kept changing while it was read");
    }

    void transactionEnd(XenStoreTransaction tx, boolean commit) throws IOException {
        call(XsOperation.TRANSACTION_END, tx, XsMessage.strings(commit ? "T" : "F"),
                commit ? "transaction commit" : "transaction abort");
    }

    // ---- request/reply plumbing ----

    /** Sends one request outside a transaction; the future completes with the reply or an IOException. */
    public CompletableFuture<byte[]> request(XsOperation op, byte[] payload, String what) {
        return request(op, null, payload, what);
    }

    /**
     * Sends one request. A transaction lives on the connection it started on: once that
     * connection is gone, its operations fail as disconnected (xenstored would not know its id),
     * so callers retry the whole transaction.
     */
    CompletableFuture<byte[]> request(XsOperation op, XenStoreTransaction tx, byte[] payload, String what) {
        CompletableFuture<XsMessage> reply = new CompletableFuture<>();
        if (payload.length > XsMessage.PAYLOAD_MAX) {
            return CompletableFuture.failedFuture(new XenStoreException("E2BIG", what));
        }
        int reqId = nextReqId.getAndUpdate(i -> i == Integer.MAX_VALUE ? 1 : i + 1);
        try {
            XsChannel ch = awaitChannel();
            if (tx != null && tx.connection() != ch) {
                throw new XenStoreDisconnectedException("Transaction " + tx.id() + " died with its connection to XenStore at "
                        + describe());
            }
            pending.put(reqId, reply); // before the write, so a lost connection always fails it
            synchronized (writeLock) {
                ch.writeFully(XsMessage.of(op, reqId, tx == null ? 0 : tx.id(), payload).encode());
            }
        } catch (IOException e) {
            pending.remove(reqId);
            return CompletableFuture.failedFuture(e instanceof XenStoreDisconnectedException ? e
                    : new XenStoreDisconnectedException("Lost the connection to XenStore at " + describe(), e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return CompletableFuture.failedFuture(new XenStoreDisconnectedException("Interrupted"));
        }
        return reply.thenApply(m -> {
            if (m.type() == XsOperation.ERROR.code()) {
                throw new java.util.concurrent.CompletionException(new XenStoreException(m.firstString(), what));
            }
            return m.payload();
        });
    }

    private byte[] call(XsOperation op, XenStoreTransaction tx, byte[] payload, String what) throws IOException {
        return await(request(op, tx, payload, what), what);
    }

    /** Waits for a reply future from {@link #request}, within the request timeout. */
    public byte[] await(CompletableFuture<byte[]> future, String what) throws IOException {
        try {
            return future.get(requestTimeoutNanos, TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            throw new IOException("XenStore " + what + " failed: " + cause, cause);
        } catch (TimeoutException e) {
            throw new XenStoreDisconnectedException("XenStore did not answer " + what + " within "
                    + TimeUnit.NANOSECONDS.toSeconds(requestTimeoutNanos) + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new XenStoreDisconnectedException("Interrupted while waiting for XenStore");
        }
    }

    private XsChannel currentChannel() {
        synchronized (stateLock) {
            return channel;
        }
    }

    private XsChannel awaitChannel() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + requestTimeoutNanos;
        synchronized (stateLock) {
            while (channel == null) {
                long left = deadline - System.nanoTime();
                if (closed || !reconnect || left <= 0) {
                    throw new XenStoreDisconnectedException("Not connected to XenStore at " + describe());
                }
                TimeUnit.NANOSECONDS.timedWait(stateLock, left);
            }
            return channel;
        }
    }

    private void startReader() {
        reader = daemon(this::readLoop, "xenstore-reader");
        reader.start();
    }

    private void readLoop() {
        long backoff = MIN_BACKOFF_MS;
        boolean reportedDown = false;
        while (!closed) {
            XsChannel ch;
            synchronized (stateLock) {
                ch = channel;
            }
            if (ch == null) {
                if (!reconnect) {
                    return;
                }
                try {
                    ch = transport.open();
                } catch (IOException e) {
                    if (!reportedDown) {
                        LOG.log(Level.WARNING, "XenStore not reachable ({0}); retrying in the background", e.getMessage());
                        reportedDown = true;
                    }
                    pause(backoff);
                    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
                    continue;
                }
                backoff = MIN_BACKOFF_MS;
                reportedDown = false;
                LOG.log(Level.INFO, "Connected to XenStore at {0}", describe());
                synchronized (stateLock) {
                    if (closed) {
                        closeQuietly(ch);
                        return;
                    }
                    channel = ch;
                    stateLock.notifyAll();
                }
                registerWatchesAgain();
                for (Runnable listener : connectionListeners) {
                    events.execute(() -> runListener(listener));
                }
            }
            try {
                dispatch(XsMessage.read(ch));
            } catch (IOException e) {
                if (!closed) {
                    LOG.log(Level.WARNING, "Lost the connection to XenStore at {0}: {1}", describe(), e.getMessage());
                }
                connectionLost(ch);
            }
        }
    }

    private void registerWatchesAgain() {
        for (Watch w : watches.values()) {
            request(XsOperation.WATCH, XsMessage.strings(w.path(), w.token()), "watch " + w.path())
                    .exceptionally(e -> {
                        if (e.getCause() instanceof XenStoreException x && "EEXIST".equals(x.errno())) {
                            return null; // registered meanwhile by watch() itself
                        }
                        LOG.log(Level.WARNING, "Could not register the watch on {0} again: {1}", w.path(), e.getMessage());
                        return null;
                    });
        }
    }

    private void dispatch(XsMessage message) {
        if (message.type() == XsOperation.WATCH_EVENT.code()) {
            List<String> parts = XsMessage.split(message.payload());
            if (parts.size() < 2) {
                LOG.log(Level.WARNING, "Ignoring a malformed watch event");
                return;
            }
            Watch watch = watches.get(parts.get(1));
            if (watch != null) {
                String path = parts.get(0);
                events.execute(() -> {
                    try {
                        watch.listener().changed(path, watch.token());
                    } catch (RuntimeException e) {
                        LOG.log(Level.ERROR, "A XenStore watch listener failed", e);
                    }
                });
            }
            return;
        }
        CompletableFuture<XsMessage> reply = pending.remove(message.reqId());
        if (reply != null) {
            reply.complete(message);
        } else {
            LOG.log(Level.DEBUG, "Ignoring a XenStore reply nobody waits for: {0}", message);
        }
    }

    private void connectionLost(XsChannel ch) {
        synchronized (stateLock) {
            if (channel == ch) {
                channel = null;
            }
        }
        closeQuietly(ch);
        for (Integer reqId : List.copyOf(pending.keySet())) {
            CompletableFuture<XsMessage> reply = pending.remove(reqId);
            if (reply != null) {
                reply.completeExceptionally(new XenStoreDisconnectedException("Lost the connection to XenStore at "
                        + describe() + " before it answered"));
            }
        }
    }

    @Override
    public void close() {
        XsChannel ch;
        synchronized (stateLock) {
            closed = true;
            ch = channel;
            stateLock.notifyAll();
        }
        if (ch != null) {
            connectionLost(ch);
        }
        if (reader != null) {
            reader.interrupt();
        }
        events.shutdown();
    }

    private static void runListener(Runnable listener) {
        try {
            listener.run();
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "A XenStore connection listener failed", e);
        }
    }

    private static String firstString(byte[] payload) {
        return new String(payload, 0, indexOfNul(payload, 0), StandardCharsets.UTF_8);
    }

    private static int indexOfNul(byte[] bytes, int from) {
        for (int i = from; i < bytes.length; i++) {
            if (bytes[i] == 0) {
                return i;
            }
        }
        return bytes.length;
    }

    private static void closeQuietly(XsChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // already broken
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
