package org.guestagent.core;

import java.lang.System.Logger.Level;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.guestagent.api.command.CommandArgument;
import org.guestagent.api.command.CommandContext;
import org.guestagent.api.command.CommandException;
import org.guestagent.api.transport.CommandInvoker;
import org.guestagent.api.command.CommandResult;
import org.guestagent.api.hostdata.HostData;
import org.guestagent.api.transport.Exchange;
import org.guestagent.api.transport.NoSuchCommandException;
import org.guestagent.api.runtime.PairingRegistry.PairInfo;
import org.guestagent.api.transport.Parser;
import org.guestagent.api.transport.RawRequest;
import org.guestagent.api.command.Session;

/**
 * One exchange paired with one parser: receive, parse-and-run, reply, on its own thread, in the
 * order the requests arrive; the command runs on that thread too. Stopping lets the request in
 * hand be answered first.
 * <p>
 * A command that passes its time limit (the registry's watchdog says so) leaves its thread behind:
 * the request is answered with the timeout error by a fresh thread, which then serves on; what the
 * old thread gives when its command finally ends is dropped.
 */
final class Dispatcher {
    private static final System.Logger LOG = System.getLogger(Dispatcher.class.getName());
    private static final long RETRY_AFTER_FAULT_MILLIS = 200;

    private final String protocol;
    private final Exchange exchange;
    private final Parser parser;
    private final String parserName;
    private final Session session;
    private final CommandInvoker invoker;
    private final AtomicLong served = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private final AtomicInteger lanes = new AtomicInteger();
    /** The thread serving now. Replaced (under the monitor) when a command overruns on it. */
    private volatile Lane lane;
    /** System.currentTimeMillis() of the last request, 0 before the first: an Instant only when asked for. */
    private volatile long lastRequest;
    private volatile boolean running = true;

    /**
     * One thread of the dispatcher: the first, or a fresh one that first answers the request whose
     * command overran on the thread before it.
     */
    private final class Lane implements Runnable {
        final Thread thread;
        final RawRequest timedOut;
        final CommandException timeoutError;
        /** Its command passed its time limit: a fresh lane serves on, this one ends when the command does. */
        volatile boolean abandoned;
        /** True while the thread waits in receive(), the only place it may be interrupted. Guarded by the dispatcher's monitor. */
        boolean receiving;
        /** System.nanoTime() when the request in hand arrived; 0 while no request is in hand. */
        volatile long busySince;

        Lane(RawRequest timedOut, CommandException timeoutError) {
            this.timedOut = timedOut;
            this.timeoutError = timeoutError;
            int number = lanes.incrementAndGet();
            this.thread = new Thread(this, "agent-dispatcher-" + session.name() + (number == 1 ? "" : "-" + number));
            this.thread.setDaemon(true);
        }

        @Override
        public void run() {
            if (timedOut != null) {
                serve(this, timedOut, timeoutError);
            }
            while (running && !abandoned) {
                RawRequest request = receive(this);
                if (request != null) {
                    serve(this, request, null);
                }
            }
            if (lane == this) {
                LOG.log(Level.INFO, "Dispatcher {0} stopped after {1} requests", session.name(), served.get());
            }
        }
    }

    Dispatcher(String protocol, Exchange exchange, Parser parser, String parserName, Session session,
            CommandInvoker invoker) {
        this.protocol = protocol;
        this.exchange = exchange;
        this.parser = parser;
        this.parserName = parserName;
        this.session = session;
        this.invoker = invoker;
        this.lane = new Lane(null, null);
    }

    Exchange exchange() {
        return exchange;
    }

    Parser parser() {
        return parser;
    }

    void start() {
        LOG.log(Level.INFO, "Dispatcher {0} started: {1} with {2}", session.name(), exchange.describe(), parserName);
        lane.thread.start();
    }

    /** Stops after the request in hand (if any) is answered; waits at most the given time. */
    void stop(long waitMillis) {
        running = false;
        synchronized (this) {
            if (lane.receiving) {
                lane.thread.interrupt();
            }
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMillis);
        Lane joined;
        try {
            do { // a command that overruns meanwhile hands the rest to a fresh lane: wait for that one
                joined = lane;
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left > 0) {
                    joined.thread.join(left);
                }
            } while (joined != lane && deadline - System.nanoTime() > 0);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (lane.thread.isAlive()) {
            LOG.log(Level.WARNING, "Dispatcher {0} still busy after {1} ms; leaving it to finish",
                    session.name(), waitMillis);
        }
    }

    /**
     * Whether this dispatcher is stuck: its thread died while it should run, or it has been
     * busy with one request for longer than the limit (a command is answered after its timeout,
     * so only a hang outside the command, in the parser, the gate or the reply, gets that far).
     */
    boolean isStuck(long limitNanos) {
        Lane current = lane;
        if (running && !current.thread.isAlive() && current.thread.getState() != Thread.State.NEW) {
            return true;
        }
        long since = current.busySince;
        return since != 0 && System.nanoTime() - since > limitNanos;
    }

    String name() {
        return session.name();
    }

    PairInfo info() {
        long last = lastRequest;
        return new PairInfo(protocol, exchange.describe(), parserName, served.get(), errors.get(),
                last == 0 ? null : Instant.ofEpochMilli(last));
    }

    private RawRequest receive(Lane current) {
        synchronized (this) {
            if (!running) {
                return null;
            }
            current.receiving = true;
        }
        try {
            return exchange.receive();
        } catch (InterruptedException e) {
            return null;
        } catch (Exception e) {
            LOG.log(Level.WARNING, "Exchange " + exchange.describe() + " failed to receive; retrying", e);
            pause();
            return null;
        } finally {
            synchronized (this) {
                current.receiving = false;
                Thread.interrupted(); // a stop's interrupt must not reach the request in hand
            }
        }
    }

    /**
     * Answers one request on the lane's thread: runs its command, or, given the timeout error, has
     * the parser answer with that error (the command overran on the lane before).
     */
    private void serve(Lane current, RawRequest request, CommandException timeoutError) {
        current.busySince = Math.max(1, System.nanoTime());
        try {
            if (timeoutError == null) {
                lastRequest = System.currentTimeMillis();
            }
            Outcome outcome = new Outcome(current, request, timeoutError);
            byte[] answer;
            try {
                answer = parser.handle(request, outcome, session);
            } catch (RuntimeException e) {
                if (current.abandoned) {
                    LOG.log(Level.INFO, "Request {0}: its command ended after its timeout; the late outcome is dropped",
                            request.id());
                    return;
                }
                // A parser must not throw; if it does, the host still gets nothing malformed from us,
                // and the dispatcher lives on.
                LOG.log(Level.ERROR, "Parser " + parserName + " failed on request " + request.id(), e);
                errors.incrementAndGet();
                return;
            }
            if (current.abandoned) {
                // the host has had the timeout answer from the fresh lane; this one must not answer twice
                LOG.log(Level.INFO, "Request {0}: its command ended after its timeout; the late answer is dropped",
                        request.id());
                return;
            }
            if (!outcome.succeeded) {
                errors.incrementAndGet();
            }
            try {
                exchange.reply(request, answer);
                served.incrementAndGet();
            } catch (Exception e) {
                errors.incrementAndGet();
                LOG.log(Level.WARNING, "Could not answer request " + request.id() + " on " + exchange.describe(), e);
            }
        } finally {
            current.busySince = 0;
        }
    }

    /**
     * Called by the watchdog (once) when the command of the request in hand on {@code stuck} passed
     * its time limit: a fresh lane answers that request with the error and serves on.
     */
    private void takeOver(Lane stuck, RawRequest request, CommandException timeoutError) {
        Lane fresh;
        synchronized (this) {
            stuck.abandoned = true;
            fresh = new Lane(request, timeoutError);
            lane = fresh;
        }
        LOG.log(Level.WARNING, "Dispatcher {0}: request {1} passed its command timeout; {2} serves on",
                session.name(), request.id(), fresh.thread.getName());
        fresh.thread.start();
    }

    private static void pause() {
        try {
            TimeUnit.MILLISECONDS.sleep(RETRY_AFTER_FAULT_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Watches one request's command call, so the pair can count failures; tells the core's registry
     * when the pair is being stopped, so that a request held at its gate is answered at once, and
     * how to go on when the command overruns. Given a timeout error, it fails with that error
     * instead of running the command.
     */
    private final class Outcome implements CommandInvoker {
        private final Lane lane;
        private final RawRequest request;
        private final CommandException timeoutError;
        private boolean succeeded;

        Outcome(Lane lane, RawRequest request, CommandException timeoutError) {
            this.lane = lane;
            this.request = request;
            this.timeoutError = timeoutError;
        }

        @Override
        public CommandResult invoke(String name, CommandArgument argument, CommandContext context)
                throws NoSuchCommandException {
            if (timeoutError != null) {
                throw timeoutError;
            }
            HostData hostData = exchange.hostData();
            CommandResult result = invoker instanceof WatchedInvoker watched
                    ? watched.invoke(name, argument, context, protocol, hostData, () -> !running,
                            error -> takeOver(lane, request, error))
                    : invoker.invoke(name, argument, CommandContext.of(context.requestId(), context.session(), protocol, hostData));
            succeeded = result.isSuccess();
            return result;
        }
    }
}
