package org.guestagent.exchange.xenstore;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;

import org.guestagent.api.transport.Exchange;
import org.guestagent.api.transport.RawRequest;
import org.guestagent.api.hostdata.HostData;
import org.guestagent.xenstore.XenStoreClient;
import org.guestagent.xenstore.XenStoreDisconnectedException;
import org.guestagent.xenstore.XenStoreEndpoint;
import org.guestagent.xenstore.XenStoreException;
import org.guestagent.xenstore.XenStoreTransaction;
import org.guestagent.xenstore.XsMessage;
import org.guestagent.xenstore.XsOperation;
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
 * <p>
 * Throughput: the bodies of the next queued requests are read while one is served, and answers
 * are written by a replier thread, in order, while the dispatcher goes on with the next request
 * (a full queue of answers slows the dispatcher down); answers that queued up meanwhile share one
 * transaction. Closing writes the answers handed over.
 * <p>
 * Housekeeping: answers are the guest's own nodes and count against its XenStore quota, and no
 * host removes them. The replier removes each answer once it is older than the answer lifetime,
 * and the oldest ones whenever the answers would pass their share of the quota
 * ({@link AnswerHousekeeping}). At start it creates the response folder if missing, so that a host
 * can tell that an agent has run in this guest.
 */
@Component(configurationPid = XenStoreExchangeConfig.PID, property = Exchange.PROTOCOL + "=nova-json")
@Designate(ocd = XenStoreExchangeConfig.class)
public final class XenStoreExchange implements Exchange {

    private static final System.Logger LOG = System.getLogger(XenStoreExchange.class.getName());
    /**
     * How long receive() waits before returning null. A stop does not need it (close() and the
     * dispatcher's interrupt end the wait), so it is long: an idle agent is not woken.
     */
    private static final long RECEIVE_WAIT_MS = 60_000;
    /** How many queued requests may have their read on the wire ahead of their turn. */
    private static final int READ_AHEAD = 4;
    /** How many answers may wait for the replier before reply() waits too. */
    private static final int ANSWERS_WAITING = 32;
    /** At most this many answers go into one transaction. */
    private static final int BATCH_MAX = 16;
    /** How long close() lets the replier write the answers handed over. */
    private static final long CLOSE_PATIENCE_MS = 5000;
    /** How soon the replier tries again to list the answer folder until it once succeeded (start, reconnect). */
    private static final long HOUSEKEEPING_RETRY_MS = 1000;
    /** Expired answers are removed at most this often (or once per lifetime, when that is shorter). */
    private static final long HOUSEKEEPING_SPACING_MS = 60_000;
    /** Queued by close() to wake a waiting receive(). */
    private static final String CLOSING = new String("closing");

    /** What the exchange needs to know; the DS configuration maps onto it. */
    public record Settings(String requestPath, String responsePath, Duration rescanInterval, Duration replyPatience,
            Duration answerLifetime, int answerCap) {
        /** The defaults of {@link XenStoreExchangeConfig}: answers live 600 s, at most 500 of them (half of 1000 nodes). */
        public Settings(String requestPath, String responsePath, Duration rescanInterval, Duration replyPatience) {
            this(requestPath, responsePath, rescanInterval, replyPatience, Duration.ofSeconds(600), 500);
        }

        static Settings of(XenStoreExchangeConfig c) {
            return new Settings(c.request_path(), c.response_path(), Duration.ofSeconds(Math.max(1, c.rescan_interval_seconds())),
                    Duration.ofSeconds(Math.max(1, c.request_timeout_seconds()) * 2L),
                    Duration.ofSeconds(Math.max(1, c.answer_lifetime_seconds())),
                    Math.max(1, (int) ((long) c.domain_node_quota() * Math.min(100, Math.max(1, c.answer_quota_percent())) / 100)));
        }
    }

    /** Set by DS when the XenStore simulator runs in the container: then we talk to it. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY)
    private XenStoreEndpoint simulator;

    private XenStoreClient client;
    private volatile HostData hostData;
    private Settings settings;
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
    /** Answers handed over by reply(), written in this order by the replier thread. */
    private final BlockingQueue<Answer> answers = new ArrayBlockingQueue<>(ANSWERS_WAITING);
    private Thread replier;
    /** Set by close(): the replier takes no more answers; guarded by {@link #answers}. */
    private boolean finishing;
    private AnswerHousekeeping housekeeping;
    /** The answers already in XenStore were listed once (by the replier thread). */
    private boolean answersFound;

    /** One answer for the replier; an answer without request tells it to finish. */
    private record Answer(RawRequest request, byte[] response) {
    }

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
        this.hostData = new XenStoreHostData(xenstore);
        this.settings = config;
        this.housekeeping = new AnswerHousekeeping(config.answerLifetime(), config.answerCap(), System::nanoTime);
        client.addConnectionListener(this::requestScan);
        scanner = new Thread(this::scanLoop, "xenstore-exchange-scanner");
        scanner.setDaemon(true);
        scanner.start();
        replier = new Thread(this::replyLoop, "xenstore-exchange-replier");
        replier.setDaemon(true);
        replier.start();
        LOG.log(Level.INFO, "XenStore exchange on {0}, requests under {1}", client.describe(), settings.requestPath());
    }

    public void close() {
        finishAnswers();
        closed = true;
        queue.addFirst(CLOSING);
        if (scanner != null) {
            scanner.interrupt();
        }
        if (replier != null) {
            replier.interrupt();
        }
        if (client != null) {
            client.close();
        }
    }

    /** vm-data/ of this guest, read over this exchange's connection. */
    @Override
    public HostData hostData() {
        return hostData;
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
            CompletableFuture<byte[]> read = readAhead.remove(id);
            if (read == null) {
                read = client.readAsync(requestNode(id));
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
     * round trip less per request. Only the dispatcher thread calls this (from receive()).
     */
    private void readAhead() {
        int sent = 0;
        for (String next : queue) {
            // while XenStore is away a read would wait for it: then read only what is due
            if (sent == READ_AHEAD || next == CLOSING || !client.isConnected()) {
                break;
            }
            if (!readAhead.containsKey(next)) {
                readAhead.put(next, client.readAsync(requestNode(next)));
            }
            sent++;
        }
    }

    /**
     * Hands the answer to the replier thread (waiting while its queue is full). Once the exchange
     * is closing, the caller writes the answer itself, as nothing would be left to write it.
     */
    @Override
    public void reply(RawRequest request, byte[] response) throws IOException {
        if (closed || replier == null) {
            throw new IOException("Could not answer request " + request.id() + ": the XenStore exchange is closed");
        }
        synchronized (answers) {
            if (!finishing) {
                try {
                    if (answers.offer(new Answer(request, response), settings.replyPatience().toMillis(), TimeUnit.MILLISECONDS)) {
                        return;
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                throw new IOException("Could not hand over the answer to request " + request.id()
                        + ": answers are not being written to XenStore at " + client.describe());
            }
        }
        write(request, response);
    }

    private void replyLoop() {
        List<Answer> batch = new ArrayList<>();
        // when the next housekeeping is due (System.nanoTime), or null: no answer to expire, so the
        // replier sleeps until an answer comes
        Long due = System.nanoTime(); // at once: lists (or makes) the answer folder
        while (true) {
            batch.clear();
            Answer first;
            try {
                long wait = due == null ? Long.MAX_VALUE : due - System.nanoTime();
                first = wait <= 0 ? answers.poll() : answers.poll(wait, TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (due != null && System.nanoTime() - due >= 0) {
                removeExpiredAnswers();
                due = nextHousekeeping();
            }
            if (first == null) {
                continue;
            }
            if (due == null) {
                due = System.nanoTime() + housekeepingSpacingNanos(); // the answers written now will expire
            }
            batch.add(first);
            answers.drainTo(batch, BATCH_MAX - 1);
            boolean finish = batch.get(batch.size() - 1).request() == null; // close() queues it last
            if (finish) {
                batch.remove(batch.size() - 1);
            }
            makeRoom(batch.size());
            if (batch.size() == 1) {
                writeOrLog(batch.get(0));
            } else if (batch.size() > 1) {
                writeBatch(batch);
            }
            if (finish) {
                return;
            }
        }
    }

    private void writeOrLog(Answer answer) {
        try {
            write(answer.request(), answer.response());
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "Could not answer request {0} on {1}: {2}", answer.request().id(), describe(), e.getMessage());
        }
    }

    /**
     * Several answers waiting: one transaction for all of them (each answer still removes its
     * request and writes its response atomically), which saves two round trips per answer.
     * Any failure aborts it; the answers are then written one by one, with the usual retries.
     */
    private void writeBatch(List<Answer> batch) {
        try {
            List<String> withdrawn = client.inTransaction(tx -> {
                List<CompletableFuture<byte[]>> reads = new ArrayList<>();
                for (Answer a : batch) {
                    reads.add(tx.readAsync(requestNode(a.request().id())));
                }
                List<String> gone = new ArrayList<>();
                List<CompletableFuture<byte[]>> writes = new ArrayList<>();
                for (int i = 0; i < batch.size(); i++) {
                    String id = batch.get(i).request().id();
                    if (!stillThere(tx, reads.get(i))) {
                        gone.add(id);
                        continue;
                    }
                    writes.add(tx.rmAsync(requestNode(id)));
                    writes.add(tx.writeAsync(settings.responsePath() + "/" + id, batch.get(i).response()));
                }
                for (CompletableFuture<byte[]> write : writes) {
                    tx.await(write, "answer");
                }
                return gone;
            });
            for (Answer a : batch) {
                if (!withdrawn.contains(a.request().id())) {
                    housekeeping.written(a.request().id());
                }
            }
            for (String id : withdrawn) {
                LOG.log(Level.INFO, "Request {0} was withdrawn by the host; its answer is dropped", id);
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.DEBUG, "Writing {0} answers at once failed ({1}); writing them one by one", batch.size(), e.getMessage());
            batch.forEach(this::writeOrLog);
        }
    }

    /** Lets the replier write what was handed over, within {@link #CLOSE_PATIENCE_MS}. */
    private void finishAnswers() {
        if (replier == null || closed) {
            return;
        }
        synchronized (answers) {
            finishing = true; // from now on reply() writes itself
        }
        try {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_PATIENCE_MS);
            if (answers.offer(new Answer(null, null), CLOSE_PATIENCE_MS, TimeUnit.MILLISECONDS)) {
                replier.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (replier.isAlive() || !answers.isEmpty()) {
            LOG.log(Level.WARNING, "XenStore exchange closing with answers not written after {0} ms", CLOSE_PATIENCE_MS);
        }
    }

    /** Writes one answer; retries while XenStore is away, within the reply patience. */
    private void write(RawRequest request, byte[] response) throws IOException {
        long deadline = System.nanoTime() + settings.replyPatience().toNanos();
        boolean madeRoom = false;
        while (true) {
            try {
                if (answer(request.id(), response)) {
                    housekeeping.written(request.id());
                } else {
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
                if (isQuota(e) && !madeRoom) {
                    // the guest's nodes include what the host wrote (pending requests, vm-data)
                    LOG.log(Level.WARNING, "XenStore refuses the answer to request {0}: the domain''s node quota is used up ({1}); "
                            + "removing the older half of the agent''s {2} answers and trying again", request.id(), e.errno(),
                            housekeeping.size());
                    removeAnswers(housekeeping.makeRoom(housekeeping.cap() / 2));
                    madeRoom = true;
                    continue;
                }
                if (isQuota(e)) {
                    LOG.log(Level.WARNING, "XenStore still refuses the answer to request {0} ({1}): the guest''s other nodes "
                            + "fill its quota; removing the request unanswered", request.id(), e.errno());
                    client.rm(requestNode(request.id()));
                    return;
                }
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

    /** xenstored's answers to a domain over its node quota: EQUOTA (oxenstored, the simulator) or ENOSPC (C xenstored). */
    private static boolean isQuota(XenStoreException e) {
        return "EQUOTA".equals(e.errno()) || "ENOSPC".equals(e.errno());
    }

    // ---- housekeeping of the agent's own answers ----

    /**
     * Once: lists the answers already there (an earlier run's), or creates the response folder.
     * Then removes the answers older than the lifetime. Only the replier thread calls this.
     */
    /**
     * When to look for expired answers next: soon while the answer folder was never listed; at the
     * oldest answer's expiry but not sooner than the spacing; null when there is no answer.
     */
    private Long nextHousekeeping() {
        long now = System.nanoTime();
        if (!answersFound) {
            return now + TimeUnit.MILLISECONDS.toNanos(HOUSEKEEPING_RETRY_MS);
        }
        long untilExpiry = housekeeping.nanosUntilNextExpiry();
        if (untilExpiry == Long.MAX_VALUE) {
            return null;
        }
        return now + Math.max(untilExpiry, housekeepingSpacingNanos());
    }

    private long housekeepingSpacingNanos() {
        return Math.min(TimeUnit.MILLISECONDS.toNanos(HOUSEKEEPING_SPACING_MS), settings.answerLifetime().toNanos());
    }

    private void removeExpiredAnswers() {
        if (!client.isConnected()) {
            return; // next time: the answers waiting to be written go first
        }
        try {
            if (!answersFound) {
                List<String> listed = listAnswers();
                if (listed == null) {
                    client.mkdir(settings.responsePath());
                    listed = List.of();
                }
                housekeeping.found(listed);
                answersFound = true;
                if (housekeeping.wouldPassCap(0)) {
                    removeAnswers(housekeeping.makeRoom(0));
                }
            }
            List<String> expired = housekeeping.expired();
            if (!expired.isEmpty()) {
                LOG.log(Level.DEBUG, "Removing {0} answers older than {1} s", expired.size(), settings.answerLifetime().toSeconds());
                removeAnswers(expired);
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.DEBUG, "Answer housekeeping postponed: {0}", e.getMessage());
        }
    }

    /**
     * Before {@code coming} answers are written: if they would pass the cap, removes the oldest.
     * Some may be gone already (a host that removes what it read); removing those is a no-op,
     * cheaper than listing the folder to find out.
     */
    private void makeRoom(int coming) {
        if (!housekeeping.wouldPassCap(coming)) {
            return;
        }
        try {
            if (housekeeping.wouldPassCap(coming)) {
                List<String> oldest = housekeeping.makeRoom(coming);
                LOG.log(Level.INFO, "{0} answers would pass the share of the XenStore quota kept for answers ({1}); "
                        + "removing the {2} oldest", housekeeping.size() + oldest.size() + coming, housekeeping.cap(), oldest.size());
                removeAnswers(oldest);
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.DEBUG, "Could not make room for answers: {0}", e.getMessage());
        }
    }

    /** The ids under the response folder, or null when it does not exist. */
    private List<String> listAnswers() throws IOException {
        try {
            return client.directory(settings.responsePath());
        } catch (XenStoreException e) {
            if (e.isNoEntry()) {
                return null;
            }
            throw e;
        }
    }

    /** Removes answer nodes, all requests on the wire at once; one that is gone already is fine. */
    private void removeAnswers(List<String> ids) throws IOException {
        List<CompletableFuture<byte[]>> removals = new ArrayList<>();
        for (String id : ids) {
            removals.add(client.request(XsOperation.RM, XsMessage.strings(settings.responsePath() + "/" + id), "rm answer " + id));
        }
        for (CompletableFuture<byte[]> removal : removals) {
            try {
                client.await(removal, "rm answer");
            } catch (XenStoreException e) {
                LOG.log(Level.DEBUG, "Removing an old answer: {0}", e.getMessage());
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
