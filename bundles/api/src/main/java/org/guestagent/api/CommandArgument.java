package org.guestagent.api;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The argument of a command, independent of the protocol that carried it: text, a number,
 * a boolean, an object (a map of names to values), a list, or nothing. Objects and lists hold
 * plain Java values: String, BigInteger, BigDecimal, Boolean, Map, List or null.
 */
@Deprecated
public final class CommandArgument {

    /** What kind of value the host sent. */
    public enum Kind { NONE, TEXT, NUMBER, BOOLEAN, OBJECT, LIST }

    public static final CommandArgument NONE = new CommandArgument(null);

    private final Object value;

    private CommandArgument(Object value) {
        this.value = value;
    }

    /** Wraps a plain Java value (see the class comment for the types allowed). */
    public static CommandArgument of(Object value) {
        if (value == null) {
            return NONE;
        }
        if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte) {
            value = BigInteger.valueOf(((Number) value).longValue());
        } else if (value instanceof Double || value instanceof Float) {
            value = BigDecimal.valueOf(((Number) value).doubleValue());
        }
        if (!(value instanceof String || value instanceof BigInteger || value instanceof BigDecimal
                || value instanceof Boolean || value instanceof Map || value instanceof List)) {
            throw new IllegalArgumentException("unsupported argument type " + value.getClass().getName());
        }
        return new CommandArgument(value);
    }

    public Kind kind() {
        if (value == null) return Kind.NONE;
        if (value instanceof String) return Kind.TEXT;
        if (value instanceof Boolean) return Kind.BOOLEAN;
        if (value instanceof Map) return Kind.OBJECT;
        if (value instanceof List) return Kind.LIST;
        return Kind.NUMBER;
    }

    public boolean isText() {
        return kind() == Kind.TEXT;
    }

    /** The raw value: String, BigInteger, BigDecimal, Boolean, Map, List, or null. */
    public Object value() {
        return value;
    }

    /** The text, or {@code null} when the argument is not text. */
    public String text() {
        return value instanceof String s ? s : null;
    }

    /** The number, or {@code null} when the argument is not a number. */
    public Number number() {
        return value instanceof Number n ? n : null;
    }

    /** The object's members, or {@code null} when the argument is not an object. */
    @SuppressWarnings("unchecked")
    public Map<String, Object> object() {
        return value instanceof Map ? Collections.unmodifiableMap((Map<String, Object>) value) : null;
    }

    /** The list, or {@code null} when the argument is not a list. */
    @SuppressWarnings("unchecked")
    public List<Object> list() {
        return value instanceof List ? Collections.unmodifiableList((List<Object>) value) : null;
    }

    /** Text as is, a number or boolean as its decimal text, otherwise {@code null}. */
    public String asText() {
        if (value instanceof String s) return s;
        if (value instanceof BigDecimal d) return d.toPlainString();
        if (value instanceof Number || value instanceof Boolean) return value.toString();
        return null;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CommandArgument a && Objects.equals(a.value, value);
    }

    @Override
    public int hashCode() {
        return Objects.hashCode(value);
    }

    @Override
    public String toString() {
        return String.valueOf(value instanceof Map<?, ?> m ? new LinkedHashMap<>(m) : value);
    }
}
