package org.guestagent.core;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Keeps the time limit of commands that run on their caller's thread (a dispatcher's): one thread
 * for all of them, which sleeps until the earliest deadline and, with no command running, until
 * one starts. A command that passes its deadline has its {@code onTimeout} run, once; a command
 * that ends first is told so by {@link #end}, and then its {@code onTimeout} never runs.
 * <p>
 * Per command this costs an entry in a concurrent set; the watchdog itself is woken only by the
 * first command after an idle time (or a shorter limit), not by every command.
 */
final class CommandWatchdog {
    private static final System.Logger LOG = System.getLogger(CommandWatchdog.class.getName());

    /** One command under watch. */
    static final class Watch {
        final long deadlineNanos;
        private final Runnable onTimeout;
        private boolean ended;
        private boolean expired;

        Watch(long deadlineNanos, Runnable onTimeout) {
            this.deadlineNanos = deadlineNanos;
            this.onTimeout = onTimeout;
        }

        private synchronized boolean finish() {
            if (expired) {
                return false;
            }
            ended = true;
            return true;
        }

        /** Runs onTimeout under the lock, so that a command ending meanwhile sees it done when finish() fails. */
        private synchronized void expire() {
            if (!ended) {
                expired = true;
                onTimeout.run();
            }
        }
    }

    private final Set<Watch> watches = ConcurrentHashMap.newKeySet();
    private final Thread thread;
    /** True while the watchdog sleeps with no deadline to wait for: a new watch must wake it. */
    private volatile boolean parked;
    /** The deadline the watchdog sleeps until (when not parked): an earlier one must wake it. */
    private volatile long sleepsUntil;
    private volatile boolean closed;

    CommandWatchdog(String threadName) {
        thread = new Thread(this::watch, threadName);
        thread.setDaemon(true);
        thread.start();
    }

    /** Watches a command that starts now and may run for the given time. */
    Watch watch(long timeoutNanos, Runnable onTimeout) {
        Watch watch = new Watch(System.nanoTime() + timeoutNanos, onTimeout);
        watches.add(watch);
        if (parked || watch.deadlineNanos - sleepsUntil < 0) {
            wake();
        }
        return watch;
    }

    /**
     * The command ended.
     *
     * @return true when in time; false when its timeout came first (its onTimeout has run)
     */
    boolean end(Watch watch) {
        watches.remove(watch);
        return watch.finish();
    }

    void close() {
        closed = true;
        wake();
    }

    private synchronized void wake() {
        notifyAll();
    }

    private void watch() {
        List<Watch> due = new ArrayList<>();
        while (!closed) {
            try {
                synchronized (this) {
                    parked = true; // before looking: a watch added from now on wakes us
                    long now = System.nanoTime();
                    long next = 0;
                    boolean any = false;
                    for (Watch watch : watches) {
                        if (now - watch.deadlineNanos >= 0) {
                            due.add(watch);
                        } else if (!any || watch.deadlineNanos - next < 0) {
                            next = watch.deadlineNanos;
                            any = true;
                        }
                    }
                    if (due.isEmpty() && !closed) {
                        if (any) {
                            sleepsUntil = next;
                            parked = false;
                            TimeUnit.NANOSECONDS.timedWait(this, next - now + TimeUnit.MILLISECONDS.toNanos(1));
                        } else {
                            wait();
                        }
                    }
                    parked = false;
                }
            } catch (InterruptedException e) {
                return;
            }
            for (Watch watch : due) {
                watches.remove(watch);
                try {
                    watch.expire();
                } catch (RuntimeException | Error e) {
                    LOG.log(Level.ERROR, "Handling a command past its timeout failed", e);
                }
            }
            due.clear();
        }
    }
}
