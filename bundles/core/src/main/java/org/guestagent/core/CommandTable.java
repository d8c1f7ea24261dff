package org.guestagent.core;

import java.lang.System.Logger.Level;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.guestagent.api.command.Command;
import org.guestagent.api.command.CommandArgument;
import org.guestagent.api.command.CommandContext;
import org.guestagent.api.command.CommandResult;
import org.guestagent.api.runtime.CommandRegistry.CommandInfo;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;

/**
 * The name-to-method table behind the command registry. Every command set contributes one
 * entry per {@link Command} method; for a name offered twice the higher service ranking wins
 * (then the older service), and the clash is logged.
 */
final class CommandTable {
    private static final System.Logger LOG = System.getLogger(CommandTable.class.getName());

    /** One command method of one command-set service. */
    record Entry(String name, Object target, Method method, boolean secret, int ranking, long serviceId,
            String bundle) {

        CommandInfo info() {
            return new CommandInfo(name, bundle, ranking, target.getClass().getName() + "." + method.getName(), secret);
        }
    }

    private static final Comparator<Entry> WINNER_FIRST = Comparator.comparingInt(Entry::ranking).reversed()
            .thenComparingLong(Entry::serviceId);

    private final Map<String, List<Entry>> byName = new TreeMap<>();

    /** Adds the commands of a set, of the command package or of the deprecated first API. */
    synchronized void add(ServiceReference<?> ref, Object set) {
        remove(ref); // a second bind of the same service replaces, never doubles, its entries
        for (Entry entry : scan(ref, set)) {
            List<Entry> entries = byName.computeIfAbsent(entry.name(), n -> new ArrayList<>());
            entries.add(entry);
            entries.sort(WINNER_FIRST);
            if (entries.size() > 1) {
                Entry winner = entries.get(0);
                LOG.log(Level.WARNING, "Command ''{0}'' is offered by {1} sets; {2} (ranking {3}) answers",
                        entry.name(), entries.size(), winner.bundle(), winner.ranking());
            }
        }
    }

    synchronized void remove(ServiceReference<?> ref) {
        long id = serviceId(ref);
        byName.values().forEach(entries -> entries.removeIf(e -> e.serviceId() == id));
        byName.values().removeIf(List::isEmpty);
    }

    /** The entry that answers the name now, or null. */
    synchronized Entry winner(String name) {
        List<Entry> entries = byName.get(name);
        return entries == null ? null : entries.get(0);
    }

    synchronized List<CommandInfo> winners() {
        return byName.values().stream().map(entries -> entries.get(0).info()).toList();
    }

    private static List<Entry> scan(ServiceReference<?> ref, Object set) {
        int ranking = ref.getProperty(Constants.SERVICE_RANKING) instanceof Integer r ? r : 0;
        String bundle = ref.getBundle() == null ? "?" : ref.getBundle().getSymbolicName();
        List<Entry> entries = new ArrayList<>();
        for (Method method : set.getClass().getMethods()) {
            Command command = method.getAnnotation(Command.class);
            @SuppressWarnings("deprecation")
            org.guestagent.api.Command legacy = LegacyCommands.annotation(method);
            if (command == null && legacy == null) {
                continue;
            }
            String name = command != null ? command.value() : legacy.value();
            boolean secret = command != null ? command.secret() : legacy.secret();
            if (!isCallable(method)) {
                LOG.log(Level.ERROR, "Ignoring command ''{0}'' of {1}: a command method takes only a "
                        + "CommandArgument and/or a CommandContext and returns String or CommandResult",
                        name, bundle);
                continue;
            }
            entries.add(new Entry(name, set, method, secret, ranking, serviceId(ref), bundle));
        }
        return entries;
    }

    private static boolean isCallable(Method method) {
        if (Modifier.isStatic(method.getModifiers())) {
            return false;
        }
        for (Class<?> type : method.getParameterTypes()) {
            if (type != CommandArgument.class && type != CommandContext.class && !LegacyCommands.isParameter(type)) {
                return false;
            }
        }
        Class<?> returns = method.getReturnType();
        return returns == String.class || returns == CommandResult.class || LegacyCommands.isResult(returns);
    }

    private static long serviceId(ServiceReference<?> ref) {
        return (Long) ref.getProperty(Constants.SERVICE_ID);
    }
}
