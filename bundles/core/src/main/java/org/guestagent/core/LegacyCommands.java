package org.guestagent.core;

import java.util.function.Supplier;

import org.guestagent.api.command.CommandArgument;
import org.guestagent.api.command.CommandContext;
import org.guestagent.api.command.CommandException;
import org.guestagent.api.command.CommandResult;
import org.guestagent.api.command.Session;

/**
 * Runs command sets written against the first API ({@code org.guestagent.api}, deprecated): their
 * arguments, contexts, results and exceptions are translated to and from the command package, so
 * a vendor bundle built before the split loads and answers as it did.
 */
@SuppressWarnings("deprecation")
final class LegacyCommands {

    private LegacyCommands() {
    }

    /** The deprecated annotation's name and secrecy, or null when the method has none. */
    static org.guestagent.api.Command annotation(java.lang.reflect.Method method) {
        return method.getAnnotation(org.guestagent.api.Command.class);
    }

    static boolean isParameter(Class<?> type) {
        return type == org.guestagent.api.CommandArgument.class || type == org.guestagent.api.CommandContext.class;
    }

    static boolean isResult(Class<?> type) {
        return type == org.guestagent.api.CommandResult.class;
    }

    /** The value for a parameter of a deprecated type. */
    static Object parameter(Class<?> type, CommandArgument argument, CommandContext context) {
        if (type == org.guestagent.api.CommandArgument.class) {
            return org.guestagent.api.CommandArgument.of(argument.value());
        }
        return org.guestagent.api.CommandContext.of(context.requestId(), new OldSession(context.session()));
    }

    /** A deprecated result as the command package has it: "0" ok, "404" not found, other numbers failed. */
    static CommandResult result(org.guestagent.api.CommandResult old) {
        return translate(old.code(), old.message(), old.isSuccess());
    }

    static CommandException exception(org.guestagent.api.CommandException old) {
        CommandResult result = translate(old.code(), old.getMessage(), false);
        return new CommandException(result.status(), result.detail(), result.message(), old);
    }

    private static CommandResult translate(String code, String message, boolean success) {
        return switch (code) {
            case org.guestagent.api.CommandResult.OK -> CommandResult.ok(message);
            case org.guestagent.api.CommandResult.NOT_FOUND -> CommandResult.notFound(message);
            case org.guestagent.api.CommandResult.FAILED -> CommandResult.failed(message);
            default -> (success ? CommandResult.ok(message) : CommandResult.failed(message)).withDetail(code);
        };
    }

    /** The pair's session seen through the deprecated interface. */
    private record OldSession(Session session) implements org.guestagent.api.Session {
        @Override
        public String name() {
            return session.name();
        }

        @Override
        public <T> T get(String key, Class<T> type) {
            return session.get(key, type);
        }

        @Override
        public void put(String key, Object value) {
            session.put(key, value);
        }

        @Override
        public void remove(String key) {
            session.remove(key);
        }

        @Override
        public <T> T computeIfAbsent(String key, Class<T> type, Supplier<T> creator) {
            return session.computeIfAbsent(key, type, creator);
        }
    }
}
