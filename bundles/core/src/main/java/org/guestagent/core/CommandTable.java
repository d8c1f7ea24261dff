package org.guestagent.core;

import java.lang.System.Logger.Level;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Supplier;

import org.guestagent.api.command.Command;
import org.guestagent.api.command.CommandArgument;
import org.guestagent.api.command.CommandContext;
import org.guestagent.api.command.CommandResult;
import org.guestagent.api.command.CommandSet;
import org.guestagent.api.runtime.CommandRegistry.CommandInfo;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;

/**
 * The name-to-command table behind the command registry. A command set that declares its
 * command names ({@link CommandSet#COMMANDS}) enters the table from its service properties alone
 * and is fetched (activated) on its first call; one that does not is fetched and scanned for its
 * {@link Command} methods at once. For a name offered twice the higher service ranking wins (then
 * the older service) among the sets that serve the asking protocol, and the clash is logged.
 */
final class CommandTable {
    private static final System.Logger LOG = System.getLogger(CommandTable.class.getName());

    /** A command method found in a fetched set; quiet: its requests are logged at debug level. */
    record Target(Object object, Method method, boolean secret, boolean quiet, Class<?>[] parameterTypes) {
        /** The parameter types kept: Method.getParameterTypes() copies them on every call. */
        Target(Object object, Method method, boolean secret, boolean quiet) {
            this(object, method, secret, quiet, method.getParameterTypes());
        }
    }

    /** One command-set service: its properties, and its methods once fetched. */
    static final class Offer {
        final long serviceId;
        final int ranking;
        final String bundle;
        final String component;
        final List<String> protocols;
        final boolean declared;
        private final Supplier<Object> fetch;
        private Map<String, Target> targets;

        Offer(ServiceReference<?> ref, Supplier<Object> fetch) {
            this.serviceId = serviceId(ref);
            this.ranking = ref.getProperty(Constants.SERVICE_RANKING) instanceof Integer r ? r : 0;
            this.bundle = ref.getBundle() == null ? "?" : ref.getBundle().getSymbolicName();
            this.component = String.valueOf(ref.getProperty("component.name"));
            List<String> protocols = strings(ref.getProperty(CommandSet.PROTOCOLS));
            this.protocols = protocols.isEmpty() ? List.of(CommandSet.ANY_PROTOCOL) : protocols;
            this.declared = !strings(ref.getProperty(CommandSet.COMMANDS)).isEmpty();
            this.fetch = fetch;
        }

        boolean serves(String protocol) {
            return protocol == null || protocols.contains(CommandSet.ANY_PROTOCOL) || protocols.contains(protocol);
        }

        synchronized boolean loaded() {
            return targets != null;
        }

        /** The set's command methods, fetching (and so activating) the set on the first call. */
        synchronized Map<String, Target> targets() {
            if (targets == null) {
                Object set = fetch.get();
                if (set == null) {
                    throw new IllegalStateException("the command set " + component + " of " + bundle + " could not be activated");
                }
                targets = scan(set, bundle);
            }
            return targets;
        }

        synchronized Target target(String name) {
            return targets == null ? null : targets.get(name);
        }
    }

    /** One command name of one set. */
    record Entry(String name, Offer offer) {

        /** The method to call, fetching the set on its first call; null when the set has no such method. */
        Target resolve() {
            Target target = offer.targets().get(name);
            if (target == null) {
                LOG.log(Level.ERROR, "{0} of {1} declares command ''{2}'' but has no @Command method of that name",
                        offer.component, offer.bundle, name);
            }
            return target;
        }

        CommandInfo info() {
            Target target = offer.target(name);
            String method = target == null ? offer.component
                    : target.object().getClass().getName() + "." + target.method().getName();
            return new CommandInfo(name, offer.bundle, offer.ranking, method, target != null && target.secret(),
                    offer.protocols, offer.loaded());
        }
    }

    private static final Comparator<Entry> WINNER_FIRST = Comparator.comparingInt((Entry e) -> e.offer().ranking)
            .reversed().thenComparingLong(e -> e.offer().serviceId);

    private final Map<String, List<Entry>> byName = new TreeMap<>();

    /**
     * Adds a command set, of the command package or of the deprecated first API. {@code fetch}
     * gets the service object; it is called now only for a set that does not declare its commands.
     */
    void add(ServiceReference<?> ref, Supplier<Object> fetch) {
        Offer offer = new Offer(ref, fetch);
        List<String> names = strings(ref.getProperty(CommandSet.COMMANDS));
        if (names.isEmpty()) {
            names = new ArrayList<>(offer.targets().keySet()); // outside the table's lock: it activates the set
        }
        synchronized (this) {
            remove(ref); // a second bind of the same service replaces, never doubles, its entries
            for (String name : names) {
                List<Entry> entries = byName.computeIfAbsent(name, n -> new ArrayList<>());
                entries.add(new Entry(name, offer));
                entries.sort(WINNER_FIRST);
                if (entries.size() > 1) {
                    Entry winner = entries.get(0);
                    LOG.log(Level.WARNING, "Command ''{0}'' is offered by {1} sets; {2} (ranking {3}, protocols {4}) "
                            + "answers where it serves", name, entries.size(), winner.offer().bundle,
                            winner.offer().ranking, winner.offer().protocols);
                }
            }
        }
    }

    /** Adds an object already in hand (tests). */
    void add(ServiceReference<?> ref, Object set) {
        add(ref, () -> set);
    }

    synchronized void remove(ServiceReference<?> ref) {
        long id = serviceId(ref);
        byName.values().forEach(entries -> entries.removeIf(e -> e.offer().serviceId == id));
        byName.values().removeIf(List::isEmpty);
    }

    /** The entry that answers the name now on a pair of the protocol (null: any), or null. */
    synchronized Entry winner(String name, String protocol) {
        List<Entry> entries = byName.get(name);
        if (entries == null) {
            return null;
        }
        for (Entry entry : entries) { // a loop, not a stream: this runs for every request
            if (entry.offer().serves(protocol)) {
                return entry;
            }
        }
        return null;
    }

    synchronized Entry winner(String name) {
        return winner(name, null);
    }

    synchronized List<CommandInfo> winners(String protocol) {
        return byName.keySet().stream().map(name -> winner(name, protocol)).filter(Objects::nonNull)
                .map(Entry::info).toList();
    }

    private static Map<String, Target> scan(Object set, String bundle) {
        Map<String, Target> targets = new HashMap<>();
        for (Method method : set.getClass().getMethods()) {
            Command command = method.getAnnotation(Command.class);
            @SuppressWarnings("deprecation")
            org.guestagent.api.Command legacy = LegacyCommands.annotation(method);
            if (command == null && legacy == null) {
                continue;
            }
            String name = command != null ? command.value() : legacy.value();
            boolean secret = command != null ? command.secret() : legacy.secret();
            boolean quiet = command != null && command.quiet();
            if (!isCallable(method)) {
                LOG.log(Level.ERROR, "Ignoring command ''{0}'' of {1}: a command method takes only a "
                        + "CommandArgument and/or a CommandContext and returns String or CommandResult",
                        name, bundle);
                continue;
            }
            targets.put(name, new Target(set, method, secret, quiet));
        }
        return targets;
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

    /** A String or String[] (or collection) property as a list. */
    static List<String> strings(Object value) {
        if (value instanceof String s) {
            return List.of(s);
        }
        if (value instanceof String[] a) {
            return List.of(a);
        }
        if (value instanceof java.util.Collection<?> c) {
            return c.stream().map(String::valueOf).toList();
        }
        return List.of();
    }

    private static long serviceId(ServiceReference<?> ref) {
        return (Long) ref.getProperty(Constants.SERVICE_ID);
    }
}
