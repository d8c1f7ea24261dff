package org.guestagent.exchange.xenstore;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.guestagent.api.transport.RawRequest;
import org.guestagent.xenstore.XenStoreClient;
import org.guestagent.xenstore.XenStoreDisconnectedException;
import org.guestagent.xenstore.XenStoreException;
import org.guestagent.xenstore.XenStoreTransaction;
import org.guestagent.xenstore.XsMessage;
import org.guestagent.xenstore.XsOperation;

/**
 * Writes the answers: each removes {@code data/host/<id>} and writes {@code data/guest/<id>} in
 * one transaction, by a replier thread, in the order handed over, while the dispatcher goes on
 * with the next request (a full queue of answers slows the dispatcher down); answers that queued
 * up meanwhile share one transaction. Finishing writes the answers handed over.
 * <p>
 * Housekeeping: answers are the guest's own nodes and count against its XenStore quota, and no
 * host removes them. The replier removes each answer once it is older than the answer lifetime,
 * and the oldest ones whenever the answers would pass their share of the quota
 * ({@link AnswerHousekeeping}). At start it creates the response folder if missing, so that a host
 * can tell that an agent has run in this guest.
 */
final class XenStoreAnswers {

    private static final System.Logger LOG = System.getLogger(XenStoreExchange.class.getName());
    /** How many answers may wait for the replier before hand() waits too. */
    private static final int ANSWERS_WAITING = 32;
    /** At most this many answers go into one transaction. */
    private static final int BATCH_MAX = 16;
    /** How long finish() lets the replier write the answers handed over. */
    private static final long CLOSE_PATIENCE_MS = 5000;
    /** How soon the replier tries again to list the answer folder until it once succeeded (start, reconnect). */
    private static final long HOUSEKEEPING_RETRY_MS = 1000;
    /** Expired answers are removed at most this often (or once per lifetime, when that is shorter). */
    private static final long HOUSEKEEPING_SPACING_MS = 60_000;

    private final XenStoreClient client;
    private final XenStoreExchange.Settings settings;
    private final AnswerHousekeeping housekeeping;
    /** Answers handed over by hand(), written in this order by the replier thread. */
    private final BlockingQueue<Answer> answers = new ArrayBlockingQueue<>(ANSWERS_WAITING);
    private Thread replier;
    /** Set by finish(): the replier takes no more answers; guarded by {@link #answers}. */
    private boolean finishing;
    private volatile boolean closed;
    /** The answers already in XenStore were listed once (by the replier thread). */
    private boolean answersFound;

    /** One answer for the replier; an answer without request tells it to finish. */
    private record Answer(RawRequest request, byte[] response) {
    }

    XenStoreAnswers(XenStoreClient client, XenStoreExchange.Settings settings) {
        this.client = client;
        this.settings = settings;
        this.housekeeping = new AnswerHousekeeping(settings.answerLifetime(), settings.answerCap(), System::nanoTime);
    }

    void start() {
        replier = new Thread(this::replyLoop, "xenstore-exchange-replier");
        replier.setDaemon(true);
        replier.start();
    }

    /**
     * Hands the answer to the replier thread (waiting while its queue is full). Once finishing,
     * the caller writes the answer itself, as nothing would be left to write it.
     */
    void hand(RawRequest request, byte[] response) throws IOException {
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

    /** Lets the replier write what was handed over, within {@link #CLOSE_PATIENCE_MS}; later answers are written by their callers. */
    void finish() {
        if (replier == null || closed) {
            return;
        }
        synchronized (answers) {
            finishing = true; // from now on hand() writes itself
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

    /** No more retries: an answer that waits for XenStore to come back fails. */
    void close() {
        closed = true;
        if (replier != null) {
            replier.interrupt();
        }
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
            boolean finish = batch.get(batch.size() - 1).request() == null; // finish() queues it last
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
            LOG.log(Level.WARNING, "Could not answer request {0} on {1}: {2}", answer.request().id(),
                    "xenstore:" + client.describe(), e.getMessage());
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
                    reads.add(tx.readAsync(settings.requestNode(a.request().id())));
                }
                List<String> gone = new ArrayList<>();
                List<CompletableFuture<byte[]>> writes = new ArrayList<>();
                for (int i = 0; i < batch.size(); i++) {
                    String id = batch.get(i).request().id();
                    if (!stillThere(tx, reads.get(i))) {
                        gone.add(id);
                        continue;
                    }
                    writes.add(tx.rmAsync(settings.requestNode(id)));
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
                    client.rm(settings.requestNode(request.id()));
                    return;
                }
                if (!"E2BIG".equals(e.errno())) {
                    throw e;
                }
                LOG.log(Level.WARNING, "The answer to request {0} ({1} bytes) is too large for XenStore; "
                        + "removing the request without an answer", request.id(), response.length);
                client.rm(settings.requestNode(request.id()));
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

    /**
     * Once: lists the answers already there (an earlier run's), or creates the response folder.
     * Then removes the answers older than the lifetime. Only the replier thread calls this.
     */
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
            CompletableFuture<byte[]> read = tx.readAsync(settings.requestNode(id));
            CompletableFuture<byte[]> rm = tx.rmAsync(settings.requestNode(id));
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

    private boolean awaitConnected(long nanos) {
        try {
            return client.awaitConnected(Duration.ofNanos(nanos));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
