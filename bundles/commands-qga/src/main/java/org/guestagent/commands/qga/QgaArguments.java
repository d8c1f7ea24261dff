package org.guestagent.commands.qga;

import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.guestagent.api.command.CommandArgument;
import org.guestagent.api.command.CommandException;
import org.guestagent.api.command.CommandResult;

/**
 * A QGA command's arguments checked against its parameters, with qemu-ga 7.2's texts: members are
 * visited in the order the command declares them (missing or wrongly typed), then any member left
 * over is unexpected.
 */
final class QgaArguments {
    /** The JSON types a parameter may have, named as qemu-ga names them in its errors. */
    enum Type { STRING("string"), INTEGER("integer"), BOOLEAN("boolean"), STRING_LIST("array");

        final String qapiName;

        Type(String qapiName) {
            this.qapiName = qapiName;
        }
    }

    record Parameter(String name, Type type, boolean required) {
    }

    static Parameter required(String name, Type type) {
        return new Parameter(name, type, true);
    }

    static Parameter optional(String name, Type type) {
        return new Parameter(name, type, false);
    }

    private static final BigInteger MIN = BigInteger.valueOf(Long.MIN_VALUE);
    private static final BigInteger MAX = BigInteger.valueOf(Long.MAX_VALUE);

    private final Map<String, Object> values;

    private QgaArguments(Map<String, Object> values) {
        this.values = values;
    }

    static QgaArguments check(CommandArgument argument, Parameter... parameters) {
        Map<String, Object> given = argument.object() == null ? Map.of() : argument.object();
        Map<String, Object> checked = new LinkedHashMap<>();
        for (Parameter p : parameters) {
            if (!given.containsKey(p.name())) {
                if (p.required()) {
                    throw invalid("Parameter '" + p.name() + "' is missing");
                }
                continue;
            }
            Object value = given.get(p.name());
            if (!fits(value, p.type())) {
                throw invalid("Invalid parameter type for '" + p.name() + "', expected: " + p.type().qapiName);
            }
            if (p.type() == Type.STRING_LIST) {
                List<?> list = (List<?>) value;
                for (int i = 0; i < list.size(); i++) {
                    if (!(list.get(i) instanceof String)) {
                        throw invalid("Invalid parameter type for '" + p.name() + "[" + i + "]', expected: string");
                    }
                }
            }
            checked.put(p.name(), value instanceof BigInteger i ? (Object) i.longValue() : value);
        }
        for (String name : given.keySet()) {
            if (!checked.containsKey(name)) {
                throw invalid("Parameter '" + name + "' is unexpected");
            }
        }
        return new QgaArguments(checked);
    }

    private static boolean fits(Object value, Type type) {
        return switch (type) {
            case STRING -> value instanceof String;
            case BOOLEAN -> value instanceof Boolean;
            case STRING_LIST -> value instanceof List;
            case INTEGER -> value instanceof BigInteger i && i.compareTo(MIN) >= 0 && i.compareTo(MAX) <= 0;
        };
    }

    static CommandException invalid(String message) {
        return new CommandException(CommandResult.Status.INVALID_ARGUMENT, message);
    }

    boolean has(String name) {
        return values.containsKey(name);
    }

    String string(String name) {
        return (String) values.get(name);
    }

    Long integer(String name) {
        return (Long) values.get(name);
    }

    long integer(String name, long otherwise) {
        Long value = integer(name);
        return value == null ? otherwise : value;
    }

    /** A list of strings (checked), or null when not given. */
    @SuppressWarnings("unchecked")
    List<String> strings(String name) {
        return (List<String>) values.get(name);
    }

    Boolean bool(String name) {
        return (Boolean) values.get(name);
    }

    /** The raw value (for a parameter of more than one type, such as guest-file-seek's whence). */
    Object raw(String name) {
        return values.get(name);
    }
}
