package org.guestagent.core;

import java.lang.System.Logger.Level;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import org.guestagent.api.CommandArgument;
import org.guestagent.api.CommandContext;
import org.guestagent.api.CommandException;
import org.guestagent.api.CommandRegistry;
import org.guestagent.api.CommandResult;
import org.guestagent.api.CommandSet;
import org.guestagent.api.NoSuchCommandException;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
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
 * Tracks every {@link CommandSet} service and runs commands by name. A command runs on a worker
 * thread so that one that never returns is answered with a 500 after the configured limit.
 */
@Component(service = CommandRegistry.class, configurationPid = "org.guestagent.core")
@Designate(ocd = CommandRegistryImpl.Config.class)
public class CommandRegistryImpl implements CommandRegistry {
    private static final System.Logger LOG = System.getLogger(CommandRegistryImpl.class.getName());
    private static final int LOGGED_ARGUMENT_MAX = 200;
    /** Longest wait for the end of the boot before a missing command is answered 404. */
    private static final long BOOT_WAIT_MILLIS = 60_000;

    @ObjectClassDefinition(name = "Guest agent core")
    public @interface Config {
        @AttributeDefinition(description = "Seconds a command may run before it is answered with a 500")
        int command_timeout_seconds() default 120;
    }

    private final CommandTable table = new CommandTable();
    private final AtomicInteger workerCount = new AtomicInteger();
    private final ExecutorService workers = Executors.newCachedThreadPool(namedDaemon());
    private volatile long timeoutMillis = TimeUnit.SECONDS.toMillis(120);
    private BootGate boot;

    @Activate
    void activate(Config config, BundleContext context) {
        boot = new BootGate(context);
        configure(config);
    }

    @Modified
    void configure(Config config) {
        timeoutMillis = TimeUnit.SECONDS.toMillis(Math.max(1, config.command_timeout_seconds()));
    }

    @Deactivate
    void deactivate() {
        boot.close();
        workers.shutdownNow();
    }

    @Reference(service = CommandSet.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC)
    void addCommandSet(ServiceReference<CommandSet> ref, CommandSet set) {
        table.add(ref, set);
    }

    void updatedCommandSet(ServiceReference<CommandSet> ref, CommandSet set) {
        table.remove(ref);
        table.add(ref, set);
    }

    void removeCommandSet(ServiceReference<CommandSet> ref) {
        table.remove(ref);
    }

    @Override
    public List<CommandInfo> commands() {
        boot.await(BOOT_WAIT_MILLIS); // the whole list, not the part that has started so far
        return table.winners();
    }

    @Override
    public CommandResult invoke(String name, CommandArgument argument, CommandContext context)
            throws NoSuchCommandException {
        CommandTable.Entry entry = table.winner(name);
        if (entry == null && !boot.isOver()) {
            // during the boot its bundle may just not have started yet: ask again once all have
            LOG.log(Level.DEBUG, "request {0}: ''{1}'' waits for the end of the boot", context.requestId(), name);
            boot.await(BOOT_WAIT_MILLIS);
            entry = table.winner(name);
        }
        if (entry == null) {
            LOG.log(Level.INFO, "request {0}: unknown command ''{1}''", context.requestId(), name);
            throw new NoSuchCommandException(name);
        }
        LOG.log(Level.INFO, "request {0}: {1}({2})", context.requestId(), name,
                entry.secret() ? "<redacted>" : shorten(String.valueOf(argument)));
        CommandResult result;
        try {
            result = runWithLimit(entry, argument, context);
        } catch (CommandException e) {
            LOG.log(Level.INFO, "request {0}: {1} failed: {2}", context.requestId(), name, e.getMessage());
            throw e;
        }
        LOG.log(Level.DEBUG, "request {0}: {1} answered {2}", context.requestId(), name, result.code());
        return result;
    }

    private CommandResult runWithLimit(CommandTable.Entry entry, CommandArgument argument, CommandContext context) {
        Future<Object> call = workers.submit(() -> call(entry.method(), entry.target(), argument, context));
        Object returned;
        try {
            returned = call.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            call.cancel(true);
            throw new CommandException("Command '" + entry.name() + "' did not finish within "
                    + TimeUnit.MILLISECONDS.toSeconds(timeoutMillis) + " seconds");
        } catch (InterruptedException e) {
            call.cancel(true);
            Thread.currentThread().interrupt();
            throw new CommandException("Command '" + entry.name() + "' was interrupted");
        } catch (ExecutionException e) {
            throw asCommandException(entry, e.getCause());
        }
        if (returned instanceof CommandResult r) {
            return r;
        }
        if (returned instanceof String s) {
            return CommandResult.ok(s);
        }
        throw new CommandException("Command '" + entry.name() + "' returned no result");
    }

    private static Object call(Method method, Object target, CommandArgument argument, CommandContext context)
            throws Exception {
        Class<?>[] types = method.getParameterTypes();
        Object[] args = new Object[types.length];
        for (int i = 0; i < types.length; i++) {
            args[i] = types[i] == CommandArgument.class ? argument : context;
        }
        try {
            return method.invoke(target, args);
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

    private ThreadFactory namedDaemon() {
        return runnable -> {
            Thread thread = new Thread(runnable, "agent-command-" + workerCount.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
