package com.example.agent.vendor;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

import org.guestagent.api.system.GuestFiles;

/**
 * Lets a test hold this bundle back at its start: while the guest file {@value #HOLD} exists (at
 * most a minute), each component's activation waits, as a slow vendor bundle would, in the thread
 * that starts the bundle.
 */
final class HeldBack {
    static final String HOLD = "/var/lib/sample-vendor/hold";
    private static final System.Logger LOG = System.getLogger(HeldBack.class.getName());
    private static final long LIMIT_MILLIS = TimeUnit.MINUTES.toMillis(1);

    private HeldBack() {
    }

    static void whileHeld(GuestFiles files, String what) {
        long deadline = System.currentTimeMillis() + LIMIT_MILLIS;
        try {
            if (files.readIfExists(HOLD) != null) {
                LOG.log(System.Logger.Level.INFO, "sample-vendor: " + what + " held back while " + HOLD + " exists");
            }
            while (files.readIfExists(HOLD) != null && System.currentTimeMillis() < deadline) {
                Thread.sleep(20);
            }
        } catch (IOException e) {
            // no hold to be read: go on
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
