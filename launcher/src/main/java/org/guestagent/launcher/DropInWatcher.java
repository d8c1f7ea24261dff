package org.guestagent.launcher;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Wakes FileInstall when something changes in deploy/ or config/, so that FileInstall's own poll
 * can be long (a safety net for a missed event) and an idle agent sleeps: one thread blocked on
 * the kernel's file notification (java.nio's WatchService, inotify on Linux), and no timer.
 * <p>
 * FileInstall has no call to ask for a scan: each watched folder has a thread of its own
 * ({@code fileinstall-<folder>}) that scans, then waits on its own monitor for the poll period.
 * Notifying that monitor while the thread waits there runs the next scan at once. FileInstall takes
 * a file only once two scans in a row see it unchanged (so a half-copied jar is never installed),
 * so after the last event of a burst this wakes the folder's thread twice, {@value #SETTLE_MS} ms
 * apart. Should FileInstall's thread never wait where expected, its own poll still finds the change.
 */
final class DropInWatcher implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(DropInWatcher.class.getName());
    /** Quiet time after an event before a scan, and between the two scans. */
    static final long SETTLE_MS = 250;
    /** Longest time spent trying to reach a FileInstall thread that is busy. */
    private static final long WAKE_PATIENCE_MS = 10_000;
    private static final String THREAD_PREFIX = "fileinstall-";

    private final WatchService service;
    private final Map<WatchKey, Path> folders = new java.util.concurrent.ConcurrentHashMap<>();
    private final Thread thread;

    private DropInWatcher(WatchService service) {
        this.service = service;
        this.thread = new Thread(this::run, "guest-agent-dropin-watcher");
        this.thread.setDaemon(true);
    }

    /** Watches the folders that exist (a missing one is left to FileInstall's poll). */
    static DropInWatcher start(List<Path> watched) throws IOException {
        DropInWatcher watcher = new DropInWatcher(FileSystems.getDefault().newWatchService());
        for (Path folder : watched) {
            if (Files.isDirectory(folder)) {
                Path real = folder.toRealPath();
                WatchKey key = real.register(watcher.service, StandardWatchEventKinds.ENTRY_CREATE,
                        StandardWatchEventKinds.ENTRY_MODIFY, StandardWatchEventKinds.ENTRY_DELETE);
                watcher.folders.put(key, real);
            }
        }
        watcher.thread.start();
        return watcher;
    }

    private void run() {
        Set<Path> changed = new LinkedHashSet<>();
        int scansLeft = 0;
        try {
            while (true) {
                // no scan owed: block until the kernel reports a change; else wait for quiet
                WatchKey key = scansLeft == 0 ? service.take() : service.poll(SETTLE_MS, TimeUnit.MILLISECONDS);
                if (key != null) {
                    key.pollEvents(); // any event (also an overflow) means: look again
                    Path folder = folders.get(key);
                    if (folder != null) {
                        changed.add(folder);
                    }
                    if (!key.reset()) {
                        folders.remove(key); // the folder is gone; FileInstall's poll watches it
                    }
                    scansLeft = 2;
                    continue;
                }
                for (Path folder : changed) {
                    wake(folder);
                }
                if (--scansLeft == 0) {
                    changed.clear();
                }
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // stopping
        }
    }

    /**
     * Runs a scan of every watched folder now, in the caller's thread. FileInstall starts the bundles
     * it installed from deploy/ before their start level was reached only at a scan after that.
     */
    void scanAll() throws InterruptedException {
        for (Path folder : List.copyOf(folders.values())) {
            wake(folder);
        }
    }

    /** Runs a scan of FileInstall's watcher of that folder, waiting (bounded) while it is busy. */
    private static void wake(Path folder) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAKE_PATIENCE_MS);
        while (System.nanoTime() < deadline) {
            Thread watcher = fileInstallThread(folder);
            if (watcher == null) {
                return; // not started yet, or stopped: its first scan will see the change
            }
            synchronized (watcher) {
                // between scans FileInstall's thread waits on this monitor with its poll as timeout
                if (watcher.getState() == Thread.State.TIMED_WAITING) {
                    watcher.notifyAll();
                    return;
                }
            }
            Thread.sleep(50); // busy with a scan: it waits again when done
        }
        LOG.fine(() -> "FileInstall's watcher of " + folder + " stayed busy; its poll will see the change");
    }

    private static Thread fileInstallThread(Path folder) {
        ThreadGroup group = Thread.currentThread().getThreadGroup();
        while (group.getParent() != null) {
            group = group.getParent();
        }
        Thread[] threads = new Thread[group.activeCount() + 16];
        int n = group.enumerate(threads, true);
        for (int i = 0; i < n; i++) {
            String name = threads[i].getName();
            if (name.startsWith(THREAD_PREFIX) && threads[i].isAlive() && sameFolder(name.substring(THREAD_PREFIX.length()), folder)) {
                return threads[i];
            }
        }
        return null;
    }

    private static boolean sameFolder(String name, Path folder) {
        try {
            return Path.of(name).toRealPath().equals(folder);
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    @Override
    public void close() {
        try {
            service.close();
        } catch (IOException e) {
            LOG.log(Level.FINE, "closing the watch service: " + e.getMessage(), e);
        }
        thread.interrupt();
    }
}
