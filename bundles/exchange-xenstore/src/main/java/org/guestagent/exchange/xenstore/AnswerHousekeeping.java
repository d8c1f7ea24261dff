package org.guestagent.exchange.xenstore;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Which of the agent's own answers ({@code data/guest/<id>}) to remove, and when. Nobody else
 * removes them (the dom0 plugin only reads), and every node the guest owns counts against its
 * XenStore quota, so a long-lived guest would one day be unable to answer at all. An answer goes
 * once it is older than the lifetime (no host waits that long: nova's longest wait is 300 s), and
 * the oldest go first whenever the answers would take more than their share of the quota.
 * <p>
 * Only bookkeeping: the exchange removes the nodes. Ages are those this agent saw; answers found
 * at start are counted from then, since a host may still be reading them.
 */
final class AnswerHousekeeping {

    private final long lifetimeNanos;
    private final int cap;
    private final LongSupplier clock;
    /** Answer id to the time it was written (or found), oldest first. */
    private final LinkedHashMap<String, Long> answers = new LinkedHashMap<>();

    /**
     * @param lifetime how long an answer stays at least (unless the cap needs its node)
     * @param cap      at most this many answers are kept
     * @param clock    nanoseconds, as System.nanoTime
     */
    AnswerHousekeeping(Duration lifetime, int cap, LongSupplier clock) {
        this.lifetimeNanos = lifetime.toNanos();
        this.cap = Math.max(1, cap);
        this.clock = clock;
    }

    int cap() {
        return cap;
    }

    synchronized int size() {
        return answers.size();
    }

    /** Answers found in XenStore at start, in listing (= creation) order: their age starts now. */
    synchronized void found(Collection<String> ids) {
        long now = clock.getAsLong();
        for (String id : ids) {
            answers.putIfAbsent(id, now);
        }
    }

    synchronized void written(String id) {
        answers.remove(id); // an id answered again moves to the end
        answers.put(id, clock.getAsLong());
    }

    /** Answers older than the lifetime, now forgotten here; the caller removes their nodes. */
    synchronized List<String> expired() {
        long now = clock.getAsLong();
        List<String> old = new ArrayList<>();
        for (Iterator<Map.Entry<String, Long>> it = answers.entrySet().iterator(); it.hasNext();) {
            Map.Entry<String, Long> answer = it.next();
            if (now - answer.getValue() < lifetimeNanos) {
                break; // oldest first: the rest are younger
            }
            old.add(answer.getKey());
            it.remove();
        }
        return old;
    }

    /** Nanoseconds until the oldest answer expires (0 when it has), Long.MAX_VALUE when there is none. */
    synchronized long nanosUntilNextExpiry() {
        if (answers.isEmpty()) {
            return Long.MAX_VALUE;
        }
        long oldest = answers.values().iterator().next();
        return Math.max(0, oldest + lifetimeNanos - clock.getAsLong());
    }

    /** True when {@code coming} more answers would pass the cap. */
    synchronized boolean wouldPassCap(int coming) {
        return answers.size() + coming > cap;
    }

    /**
     * The oldest answers to remove so that {@code coming} more fit under the cap, with a tenth of
     * the cap to spare so that this is not needed again for the next answers. Forgotten here.
     */
    synchronized List<String> makeRoom(int coming) {
        int keep = Math.max(0, cap - coming - Math.max(1, cap / 10));
        List<String> oldest = new ArrayList<>();
        for (Iterator<String> it = answers.keySet().iterator(); it.hasNext() && answers.size() > keep;) {
            oldest.add(it.next());
            it.remove();
        }
        return oldest;
    }
}
