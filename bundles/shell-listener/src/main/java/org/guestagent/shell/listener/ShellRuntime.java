package org.guestagent.shell.listener;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import org.guestagent.shell.connection.ShellConnectionHandler;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.util.tracker.ServiceTracker;

/**
 * The shell's bundles (the Gogo runtime, its commands, the agent's shell commands), started when
 * a connection comes and stopped again once no connection has been open for the idle time, so
 * that an agent nobody talks to does not keep them loaded. Starts and stops are transient: the
 * next boot leaves them stopped again. Only bundles started here are stopped here; a shell
 * started otherwise (the launcher's --console, an administrator's "start") stays as it is.
 * <p>
 * A connection is handed over unread once the shell's {@link ShellConnectionHandler} is there,
 * so what the client sends while the bundles start waits in the socket.
 */
final class ShellRuntime implements ShellConnectionHandler {
    /** How long a connection waits for the shell's handler after its bundles were started. */
    static final long HANDLER_WAIT_MS = 30_000;
    /**
     * Starts an error line: {@code guest-agent shell} then sends it to stderr and exits non-zero
     * (batch mode, where the shell would mark it so too); a terminal does not show it.
     */
    static final char ERROR_MARK = '\u0000';
    private static final System.Logger LOG = System.getLogger(ShellRuntime.class.getName());

    private final BundleContext context;
    private final ServiceTracker<ShellConnectionHandler, ShellConnectionHandler> handlers;
    /** Runs the stop after the idle time; its one thread ends when nothing is scheduled. */
    private final ScheduledThreadPoolExecutor timer;
    private volatile List<String> bundleNames;
    private volatile long idleSeconds;

    // guarded by this
    private final List<Bundle> started = new ArrayList<>();
    private int open;
    /** Connections since the start, so that a stop scheduled before the last one can tell. */
    private long connections;
    private ScheduledFuture<?> pendingStop;
    private boolean closed;

    ShellRuntime(BundleContext context, List<String> bundleNames, long idleSeconds) {
        this.context = context;
        this.bundleNames = List.copyOf(bundleNames);
        this.idleSeconds = idleSeconds;
        this.handlers = new ServiceTracker<>(context, ShellConnectionHandler.class, null);
        this.handlers.open();
        this.timer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "agent-shell-idle");
            t.setDaemon(true);
            return t;
        });
        timer.setRemoveOnCancelPolicy(true);
        timer.setKeepAliveTime(60, TimeUnit.SECONDS);
        timer.allowCoreThreadTimeOut(true);
    }

    /** A new configuration; takes effect at the next start or idle period. */
    void configure(List<String> names, long idle) {
        this.bundleNames = List.copyOf(names);
        this.idleSeconds = idle;
    }

    @Override
    public void serve(SocketChannel client) throws IOException {
        try {
            opened();
        } catch (BundleException | RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "The shell could not be started: " + e.getMessage(), e);
            ShellSocket.say(client, ERROR_MARK + "The shell could not be started: " + e.getMessage() + "\n");
            closed();
            return;
        }
        try {
            ShellConnectionHandler handler = handlers.waitForService(HANDLER_WAIT_MS);
            if (handler == null) {
                LOG.log(System.Logger.Level.ERROR, "The shell did not come up within " + HANDLER_WAIT_MS / 1000
                        + " s of starting its bundles " + bundleNames);
                ShellSocket.say(client, ERROR_MARK + "The shell did not come up; see the agent's log.\n");
                return;
            }
            handler.serve(client);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            closed();
        }
    }

    /** One more connection: no stop while it is open; the bundles are started if they are not. */
    private synchronized void opened() throws BundleException {
        if (closed) {
            throw new IllegalStateException("the shell listener is stopping");
        }
        open++;
        connections++;
        if (pendingStop != null) {
            pendingStop.cancel(false);
            pendingStop = null;
        }
        long begin = System.nanoTime();
        int before = started.size();
        for (String name : bundleNames) {
            for (Bundle b : bundlesNamed(name)) {
                int state = b.getState();
                if (state == Bundle.ACTIVE || state == Bundle.STARTING || isFragment(b)) {
                    continue;
                }
                b.start(Bundle.START_TRANSIENT);
                started.add(b);
            }
        }
        if (started.size() > before) {
            LOG.log(System.Logger.Level.INFO, "shell started ({0} bundles) in {1} ms", started.size() - before,
                    (System.nanoTime() - begin) / 1_000_000);
        }
    }

    /** One connection less; after the last, the stop is scheduled for the end of the idle time. */
    private synchronized void closed() {
        open--;
        if (open > 0 || closed || started.isEmpty() || idleSeconds < 0) {
            return;
        }
        long connection = connections;
        pendingStop = timer.schedule(() -> stopIfIdle(connection), idleSeconds, TimeUnit.SECONDS);
    }

    /** Stops the shell unless a connection came since the stop was scheduled (a cancel may come too late). */
    private synchronized void stopIfIdle(long scheduledAfter) {
        if (connections != scheduledAfter) {
            return;
        }
        pendingStop = null;
        if (open == 0 && !closed) {
            stopStarted();
            LOG.log(System.Logger.Level.INFO, "shell stopped after {0} s without a connection", idleSeconds);
        }
    }

    /**
     * Stops, in reverse order, the bundles started here: their threads, services and objects go.
     * They are not refreshed, so the few classes they loaded (about 85) stay: Felix SCR is wired to
     * Gogo's runtime (its optional import for the scr: commands), and a refresh would restart SCR
     * with every component. Most of what the first shell use loads is the JDK's anyway.
     */
    private void stopStarted() {
        for (int i = started.size() - 1; i >= 0; i--) {
            Bundle b = started.get(i);
            try {
                if (b.getState() == Bundle.ACTIVE || b.getState() == Bundle.STARTING) {
                    b.stop(Bundle.STOP_TRANSIENT);
                }
            } catch (BundleException | IllegalStateException e) {
                LOG.log(System.Logger.Level.WARNING, "stopping " + b.getSymbolicName() + " failed: " + e.getMessage());
            }
        }
        started.clear();
    }

    /** Whether the shell's bundles were started here and are still running (for tests and the log). */
    synchronized boolean running() {
        return !started.isEmpty();
    }

    /**
     * The listener goes away: no new connection, no timer; the bundles started here are stopped
     * too, unless the whole framework is stopping (it stops them itself, in its order).
     */
    void close() {
        synchronized (this) {
            closed = true;
            if (pendingStop != null) {
                pendingStop.cancel(false);
                pendingStop = null;
            }
        }
        timer.shutdownNow();
        handlers.close();
        synchronized (this) {
            Bundle framework = context.getBundle(0);
            if (framework != null && framework.getState() == Bundle.ACTIVE) {
                stopStarted();
            }
            started.clear();
        }
    }

    private List<Bundle> bundlesNamed(String name) {
        List<Bundle> found = new ArrayList<>();
        for (Bundle b : context.getBundles()) {
            if (name.equals(b.getSymbolicName())) {
                found.add(b);
            }
        }
        if (found.isEmpty()) {
            LOG.log(System.Logger.Level.WARNING, "the shell bundle {0} is not installed", name);
        }
        return found;
    }

    private static boolean isFragment(Bundle b) {
        BundleRevision revision = b.adapt(BundleRevision.class);
        return revision != null && (revision.getTypes() & BundleRevision.TYPE_FRAGMENT) != 0;
    }
}
