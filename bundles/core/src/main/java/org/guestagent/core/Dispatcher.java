package org.guestagent.core;

import java.lang.System.Logger.Level;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import org.guestagent.api.command.CommandArgument;
import org.guestagent.api.command.CommandContext;
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
 * One exchange paired with one parser: receive, parse-and-run, reply, on its own thread,
 * in the order the requests arrive. Stopping lets the request in hand be answered first.
 */
final class Dispatcher implements Runnable {
    private static final System.Logger LOG = System.getLogger(Dispatcher.class.getName());
    private static final long RETRY_AFTER_FAULT_MILLIS = 200;

    private final String protocol;
    private final Exchange exchange;
    private final Parser parser;
    private final String parserName;
    private final Session session;
    private final CommandInvoker invoker;
    private final Thread thread;
    private final AtomicLong served = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private volatile Instant lastRequest;
    private volatile boolean running = true;
    /** True while the thread waits in receive(), the only place it may be interrupted. */
    private volatile boolean receiving;
    /** System.nanoTime() when the request in hand arrived; 0 while no request is in hand. */
    private volatile long busySince;

    Dispatcher(String protocol, Exchange exchange, Parser parser, String parserName, Session session,
            CommandInvoker invoker) {
        this.protocol = protocol;
        this.exchange = exchange;
        this.parser = parser;
        this.parserName = parserName;
        this.session = session;
        this.invoker = invoker;
        this.thread = new Thread(this, "agent-dispatcher-" + session.name());
        this.thread.setDaemon(true);
    }

    Exchange exchange() {
        return exchange;
    }

    Parser parser() {
        return parser;
    }

    void start() {
        thread.start();
    }

    /** Stops after the request in hand (if any) is answered; waits at most the given time. */
    void stop(long waitMillis) {
        running = false;
        synchronized (this) {
            if (receiving) {
                thread.interrupt();
            }
        }
        try {
            thread.join(waitMillis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
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
        if (running && !thread.isAlive() && thread.getState() != Thread.State.NEW) {
            return true;
        }
        long since = busySince;
        return since != 0 && System.nanoTime() - since > limitNanos;
    }

    String name() {
        return session.name();
    }

    PairInfo info() {
        return new PairInfo(protocol, exchange.describe(), parserName, served.get(), errors.get(), lastRequest);
    }

    @Override
    public void run() {
        LOG.log(Level.INFO, "Dispatcher {0} started: {1} with {2}", session.name(), exchange.describe(), parserName);
        while (running) {
            RawRequest request = receive();
            if (request != null) {
                busySince = Math.max(1, System.nanoTime());
                try {
                    serve(request);
                } finally {
                    busySince = 0;
                }
            }
        }
        LOG.log(Level.INFO, "Dispatcher {0} stopped after {1} requests", session.name(), served.get());
    }

    private RawRequest receive() {
        synchronized (this) {
            if (!running) {
                return null;
            }
            receiving = true;
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
                receiving = false;
                Thread.interrupted(); // a stop's interrupt must not reach the request in hand
            }
        }
    }

    private void serve(RawRequest request) {
        lastRequest = Instant.now();
        Outcome outcome = new Outcome(invoker, protocol, exchange.hostData(), () -> !running);
        byte[] answer;
        try {
            answer = parser.handle(request, outcome, session);
        } catch (RuntimeException e) {
            // A parser must not throw; if it does, the host still gets nothing malformed from us,
            // and the dispatcher lives on.
            LOG.log(Level.ERROR, "Parser " + parserName + " failed on request " + request.id(), e);
            errors.incrementAndGet();
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
     * when the pair is being stopped, so that a request held at its gate is answered at once.
     */
    private static final class Outcome implements CommandInvoker {
        private final CommandInvoker delegate;
        private final String protocol;
        private final HostData hostData;
        private final BooleanSupplier stopping;
        private boolean succeeded;

        Outcome(CommandInvoker delegate, String protocol, HostData hostData, BooleanSupplier stopping) {
            this.delegate = delegate;
            this.protocol = protocol;
            this.hostData = hostData;
            this.stopping = stopping;
        }

        @Override
        public CommandResult invoke(String name, CommandArgument argument, CommandContext context)
                throws NoSuchCommandException {
            CommandResult result = delegate instanceof CommandRegistryImpl registry
                    ? registry.invoke(name, argument, context, protocol, hostData, stopping)
                    : delegate.invoke(name, argument, CommandContext.of(context.requestId(), context.session(), protocol, hostData));
            succeeded = result.isSuccess();
            return result;
        }
    }
}
