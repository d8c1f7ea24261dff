package org.guestagent.itests.support;

import java.time.Duration;

/** Bounded waiting for a condition that settles asynchronously (services, files, answers). */
public final class Await {
    /** A condition that may throw while things settle; a throw counts as "not yet". */
    @FunctionalInterface
    public interface Condition {
        boolean holds() throws Exception;
    }

    private Await() {
    }

    /** Waits up to 20 seconds. */
    public static void until(String what, Condition condition) throws InterruptedException {
        until(what, Duration.ofSeconds(20), condition);
    }

    public static void until(String what, Duration limit, Condition condition) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            try {
                if (condition.holds()) {
                    return;
                }
            } catch (Exception e) {
                // not there yet
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + limit.toSeconds() + " s waiting until " + what);
            }
            Thread.sleep(20);
        }
    }
}
