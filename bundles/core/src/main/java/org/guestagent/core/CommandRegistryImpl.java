package org.guestagent.core;

import java.lang.System.Logger.Level;
import java.lang.reflect.InvocationTargetException;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import org.guestagent.api.command.CommandArgument;
import org.guestagent.api.command.CommandContext;
import org.guestagent.api.command.CommandException;
import org.guestagent.api.runtime.CommandRegistry;
import org.guestagent.api.command.CommandResult;
import org.guestagent.api.command.CommandSet;
import org.guestagent.api.hostdata.HostData;
import org.guestagent.api.transport.NoSuchCommandException;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.ComponentServiceObjects;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Tracks every {@link CommandSet} service and runs commands by name. A dispatcher's command runs on
 * the dispatcher's own thread, its time limit kept by a {@link CommandWatchdog}: one that never
 * returns is answered with a 500 after the configured limit, and its pair goes on with a fresh
 * thread. A command called by anyone else runs on a worker thread, for the same limit.
 * <p>
 * A request waits (at most the command timeout) while the {@link RequestGate} is closed: during
 * the boot, while a hold is registered, or while a bundle is being started, stopped, updated or
 * refreshed, so that no command answers from a half-wired state (a network command whose backends
 * have not started yet, a built-in whose vendor override is still being installed). Only the early
 * commands, which need nothing that starts late, are answered at once.
 */
@SuppressWarnings("deprecation")
@Component(service = CommandRegistry.class, configurationPid = "org.guestagent.core")
@Designate(ocd = CommandRegistryImpl.Config.class)
public class CommandRegistryImpl implements CommandRegistry, WatchedInvoker {
    private static final System.Logger LOG = System.getLogger(CommandRegistryImpl.class.getName());
    private static final int LOGGED_ARGUMENT_MAX = 200;
    /** Longest wait of {@link #commands()} for the end of the boot. */
    private static final long BOOT_WAIT_MILLIS = 60_000;

    @ObjectClassDefinition(name = "Guest agent core")
    public @interface Config {
        @AttributeDefinition(description = "Seconds a command may run before it is answered with a 500; "
                + "also the longest wait of a request for the end of the boot or of a bundle update")
        int command_timeout_seconds() default 120;

        @AttributeDefinition(description = "Commands answered at once, also during the boot and while bundles "
                + "are updated: only commands that use nothing but what starts with the core (version and "
                + "features are in the core's start level; features waits for the boot itself)")
        String[] early_commands() default { "version", "features" };
    }

    private final CommandTable table = new CommandTable();
    private final AtomicInteger workerCount = new AtomicInteger();
    private final ExecutorService workers = Executors.newCachedThreadPool(namedDaemon());
    private final Set<Run> runs = ConcurrentHashMap.newKeySet();
    private final CommandWatchdog watchdog = new CommandWatchdog("agent-command-watchdog");
    private volatile long timeoutMillis = TimeUnit.SECONDS.toMillis(120);
    private volatile Set<String> early = Set.of("version", "features");
    private RequestGate gate;

    @Activate
    void activate(Config config, BundleContext context) {
        gate = new RequestGate(context);
        configure(config);
    }

    @Modified
    void configure(Config config) {
        timeoutMillis = TimeUnit.SECONDS.toMillis(Math.max(1, config.command_timeout_seconds()));
        early = Set.of(config.early_commands() == null ? new String[0] : config.early_commands());
    }

    @Deactivate
    void deactivate() {
        gate.close();
        watchdog.close();
        workers.shutdownNow();
    }

    // The service objects are asked for only when a command is called (or at once for a set that
    // does not declare its commands): a delayed command set stays unloaded until its first call.
    @Reference(service = CommandSet.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC)
    void addCommandSet(ServiceReference<CommandSet> ref, ComponentServiceObjects<CommandSet> objects) {
        table.add(ref, objects::getService);
    }

    void updatedCommandSet(ServiceReference<CommandSet> ref, ComponentServiceObjects<CommandSet> objects) {
        table.remove(ref);
        table.add(ref, objects::getService);
    }

    void removeCommandSet(ServiceReference<CommandSet> ref) {
        table.remove(ref);
    }

    /** A command set written against the deprecated first API: still served, with a note in the log. */
    @Reference(service = org.guestagent.api.CommandSet.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC)
    void addLegacyCommandSet(ServiceReference<org.guestagent.api.CommandSet> ref,
            ComponentServiceObjects<org.guestagent.api.CommandSet> objects) {
        LOG.log(Level.INFO, "{0} offers commands through the deprecated org.guestagent.api.CommandSet; they are "
                + "served as before (to move to org.guestagent.api.command, see the README)",
                ref.getBundle() == null ? "?" : ref.getBundle().getSymbolicName());
        table.add(ref, objects::getService);
    }

    void updatedLegacyCommandSet(ServiceReference<org.guestagent.api.CommandSet> ref,
            ComponentServiceObjects<org.guestagent.api.CommandSet> objects) {
        table.remove(ref);
        table.add(ref, objects::getService);
    }

    void removeLegacyCommandSet(ServiceReference<org.guestagent.api.CommandSet> ref) {
        table.remove(ref);
    }

    @Override
    public List<CommandInfo> commands() {
        return commands(null);
    }

    @Override
    public List<CommandInfo> commands(String protocol) {
        gate.awaitBoot(BOOT_WAIT_MILLIS); // the whole list, not the part that has started so far
        return table.winners(protocol);
    }

    @Override
    public List<CommandRun> runs() {
        return runs.stream().map(Run::view)
                .sorted(Comparator.comparing(CommandRun::since)).toList();
    }

    @Override
    public CommandResult invoke(String name, CommandArgument argument, CommandContext context)
            throws NoSuchCommandException {
        return invoke(name, argument, context, context.protocol(), context.hostData().orElse(null), () -> false, null);
    }

    /**
     * Runs the command: here, under the watchdog, when {@code onTimeout} is given, else on a worker.
     * A request that must wait for the gate stops waiting once {@code pairStopping} says its pair is
     * being stopped, since a stopping pair answers the request in hand first.
     */
    @Override
    public CommandResult invoke(String name, CommandArgument argument, CommandContext context, String protocol,
            HostData hostData, BooleanSupplier pairStopping, Consumer<CommandException> onTimeout)
            throws NoSuchCommandException {
        Run run = new Run(name, context.requestId());
        runs.add(run);
        try {
            if (!early.contains(name)) {
                awaitGate(run, pairStopping);
            }
            CommandTable.Entry entry = table.winner(name, protocol);
            if (entry == null && !gate.bootOver()) {
                awaitGate(run, pairStopping); // an early command whose bundle has not started yet
                entry = table.winner(name, protocol);
            }
            if (entry == null) {
                LOG.log(Level.INFO, "request {0}: unknown command ''{1}''", context.requestId(), name);
                throw new NoSuchCommandException(name);
            }
            CommandResult result;
            try {
                CommandContext full = CommandContext.of(context.requestId(), context.session(), protocol, hostData);
                result = onTimeout == null ? runWithLimit(run, entry, argument, full)
                        : runHere(run, entry, argument, full, onTimeout);
            } catch (CommandException e) {
                LOG.log(Level.INFO, "request {0}: {1} failed: {2}", context.requestId(), name, e.getMessage());
                throw e;
            }
            LOG.log(Level.DEBUG, "request {0}: {1} answered {2}", context.requestId(), name, result.status());
            return result;
        } finally {
            if (!run.hanging()) {
                runs.remove(run);
            }
        }
    }

    /**
     * The request's log line: at info, but at debug for a quiet (routine, read-only) command, since a
     * host that polls one would otherwise cost a formatted and written log line per request.
     */
    static void logRequest(String requestId, String command, CommandTable.Target target, CommandArgument argument) {
        Level level = target.quiet() ? Level.DEBUG : Level.INFO;
        if (LOG.isLoggable(level)) {
            LOG.log(level, "request {0}: {1}({2})", requestId, command,
                    target.secret() ? "<redacted>" : shorten(String.valueOf(argument)));
        }
    }

    private void awaitGate(Run run, BooleanSupplier pairStopping) {
        String blocker = gate.blocker();
        if (blocker == null) {
            return;
        }
        run.waiting();
        LOG.log(Level.INFO, "request {0}: ''{1}'' waits for {2}", run.requestId, run.command, blocker);
        if (gate.awaitOpen(timeoutMillis, pairStopping)) {
            return;
        }
        if (pairStopping.getAsBoolean()) {
            LOG.log(Level.INFO, "request {0}: ''{1}'' runs now: its pair is being stopped", run.requestId, run.command);
        } else {
            LOG.log(Level.WARNING, "request {0}: ''{1}'' runs although it waited {2} s for {3}", run.requestId,
                    run.command, TimeUnit.MILLISECONDS.toSeconds(timeoutMillis), gate.blocker());
        }
    }

    private CommandResult runWithLimit(Run run, CommandTable.Entry entry, CommandArgument argument, CommandContext context) {
        RequestSession session = new RequestSession(context.session(), context.requestId());
        CommandContext ownContext = withSession(context, session);
        Future<Object> call = workers.submit(() -> {
            run.started(Thread.currentThread());
            try {
                return resolveAndCall(entry, argument, ownContext);
            } catch (Exception | Error e) {
                run.ended(e);
                throw e;
            } finally {
                run.ended(null);
            }
        });
        Object returned;
        try {
            returned = call.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            abandon(run, call, session);
            throw timeoutError(entry, timeoutMillis);
        } catch (InterruptedException e) {
            abandon(run, call, session);
            Thread.currentThread().interrupt();
            throw new CommandException("Command '" + entry.name() + "' was interrupted");
        } catch (CancellationException e) {
            throw new CommandException("Command '" + entry.name() + "' was stopped");
        } catch (ExecutionException e) {
            throw asCommandException(entry, e.getCause());
        }
        return asResult(entry, returned);
    }

    /**
     * Runs the command on this thread, watched: past its limit, the watchdog revokes its session,
     * interrupts this thread and hands the timeout error to {@code onTimeout}, while the command
     * may go on; it is then listed as hanging until it ends.
     */
    private CommandResult runHere(Run run, CommandTable.Entry entry, CommandArgument argument, CommandContext context,
            Consumer<CommandException> onTimeout) {
        RequestSession session = new RequestSession(context.session(), context.requestId());
        CommandContext ownContext = withSession(context, session);
        Thread thread = Thread.currentThread();
        run.started(thread);
        long limitMillis = timeoutMillis;
        CommandWatchdog.Watch watch = watchdog.watch(TimeUnit.MILLISECONDS.toNanos(limitMillis), () -> {
            session.revoke();
            thread.interrupt();
            listAsHanging(run);
            onTimeout.accept(timeoutError(entry, limitMillis));
        });
        Throwable failure = null;
        Object returned;
        try {
            returned = resolveAndCall(entry, argument, ownContext);
        } catch (Error e) {
            failure = e;
            throw e;
        } catch (Exception e) {
            failure = e;
            throw asCommandException(entry, e);
        } finally {
            // a late end (its timeout came first) is logged by the run; the caller drops its result
            watchdog.end(watch);
            run.ended(failure);
        }
        return asResult(entry, returned);
    }

    private static CommandResult asResult(CommandTable.Entry entry, Object returned) {
        if (returned instanceof CommandResult r) {
            return r;
        }
        if (returned instanceof org.guestagent.api.CommandResult old) {
            return LegacyCommands.result(old);
        }
        if (returned instanceof String s) {
            return CommandResult.ok(s);
        }
        throw new CommandException("Command '" + entry.name() + "' returned no result");
    }

    /**
     * Gives up on a command that passed its timeout: interrupts its thread and takes back its
     * access to the pair's session, so that its pair can go on at once with the next request and a
     * late end cannot change what the next requests rely on (a late keyinit must not replace the key
     * of the keyinit the host sent after it). If the thread does not end, it is listed as hanging.
     */
    private void abandon(Run run, Future<Object> call, RequestSession session) {
        session.revoke();
        call.cancel(true);
        listAsHanging(run);
    }

    /** The run's command passed its timeout and was interrupted: listed as hanging until its thread ends. */
    private void listAsHanging(Run run) {
        if (run.abandon()) {
            LOG.log(Level.WARNING, "request {0}: ''{1}'' passed its timeout and was interrupted; its thread {2} "
                    + "has not ended yet ({3} command(s) hanging)", run.requestId, run.command, run.threadName(),
                    runs.stream().filter(Run::hanging).count());
        }
    }

    private static CommandException timeoutError(CommandTable.Entry entry, long limitMillis) {
        return new CommandException("Command '" + entry.name() + "' did not finish within "
                + TimeUnit.MILLISECONDS.toSeconds(limitMillis) + " seconds");
    }

    /** The request's context with the session the command may use until its timeout. */
    private static CommandContext withSession(CommandContext context, RequestSession session) {
        return CommandContext.of(context.requestId(), session, context.protocol(), context.hostData().orElse(null));
    }

    /**
     * Resolves the command's method (on the thread that runs it: activating a delayed set counts
     * against the command's timeout), logs the request and calls it.
     */
    private static Object resolveAndCall(CommandTable.Entry entry, CommandArgument argument, CommandContext context)
            throws Exception {
        CommandTable.Target target = entry.resolve();
        if (target == null) {
            throw new CommandException("Command '" + entry.name() + "' is declared but not implemented");
        }
        logRequest(context.requestId(), entry.name(), target, argument);
        return call(target, argument, context);
    }

    private static Object call(CommandTable.Target target, CommandArgument argument, CommandContext context)
            throws Exception {
        Class<?>[] types = target.parameterTypes();
        Object[] args = new Object[types.length];
        for (int i = 0; i < types.length; i++) {
            args[i] = types[i] == CommandArgument.class ? argument
                    : types[i] == CommandContext.class ? context : LegacyCommands.parameter(types[i], argument, context);
        }
        try {
            return target.method().invoke(target.object(), args);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw (Exception) e.getCause();
        }
    }

    private static CommandException asCommandException(CommandTable.Entry entry, Throwable failure) {
        if (failure instanceof CommandException ce) {
            return ce;
        }
        if (failure instanceof org.guestagent.api.CommandException old) {
            return LegacyCommands.exception(old);
        }
        // Unexpected failures reach the host with their message, as the original agents did;
        // the stack trace stays in the log.
        LOG.log(Level.WARNING, "Command '" + entry.name() + "' failed unexpectedly", failure);
        String message = failure.getMessage();
        if (message == null || message.isBlank()) {
            message = failure.getClass().getSimpleName();
        }
        return new CommandException("Command '" + entry.name() + "' failed: " + message, failure);
    }

    private static String shorten(String text) {
        return text.length() <= LOGGED_ARGUMENT_MAX ? text : text.substring(0, LOGGED_ARGUMENT_MAX) + "...";
    }

    /** One request in the registry: waiting for the gate, running, or left hanging after its timeout. */
    private final class Run {
        final String command;
        final String requestId;
        private RunState state = RunState.RUNNING;
        /** System.currentTimeMillis() of the last change of state: an Instant only when asked for (no allocation per request). */
        private long since = System.currentTimeMillis();
        private String thread = Thread.currentThread().getName();
        private boolean ended;
        private boolean abandoned;

        Run(String command, String requestId) {
            this.command = command;
            this.requestId = requestId;
        }

        synchronized void waiting() {
            state = RunState.WAITING;
            since = System.currentTimeMillis();
        }

        synchronized void started(Thread worker) {
            state = RunState.RUNNING;
            since = System.currentTimeMillis();
            thread = worker.getName();
        }

        /** Marks the end of the command's thread; a hanging one leaves the list and says so. */
        void ended(Throwable failure) {
            long hangingSince;
            synchronized (this) {
                if (ended) {
                    return;
                }
                ended = true;
                hangingSince = abandoned ? since : -1;
            }
            if (hangingSince >= 0) {
                runs.remove(this);
                LOG.log(Level.INFO, "request {0}: ''{1}'' ended {2} s after its timeout{3}", requestId, command,
                        TimeUnit.MILLISECONDS.toSeconds(System.currentTimeMillis() - hangingSince),
                        failure == null ? "" : " (" + failure.getClass().getSimpleName() + ")");
            }
        }

        /** True when the command's thread had not ended: it is now listed as hanging. */
        synchronized boolean abandon() {
            if (ended) {
                return false;
            }
            abandoned = true;
            state = RunState.HANGING;
            since = System.currentTimeMillis();
            return true;
        }

        synchronized boolean hanging() {
            return abandoned && !ended;
        }

        synchronized String threadName() {
            return thread;
        }

        synchronized CommandRun view() {
            return new CommandRun(command, requestId, state, Instant.ofEpochMilli(since), thread);
        }
    }

    private ThreadFactory namedDaemon() {
        return runnable -> {
            Thread thread = new Thread(runnable, "agent-command-" + workerCount.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
