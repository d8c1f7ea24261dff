package org.guestagent.api.command;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * A {@link Session} kept in a concurrent map: what the core gives each pair, and what the shell and
 * tests use for theirs (since 1.1.0 of this package).
 */
public class MapSession implements Session {
    private final String name;
    private final Map<String, Object> values = new ConcurrentHashMap<>();

    public MapSession(String name) {
        this.name = name;
    }

    @Override
    public String name() {
        return name;
    }

    /** The value, or null when there is none or it is not of the type asked for. */
    @Override
    public <T> T get(String key, Class<T> type) {
        Object value = values.get(key);
        return type.isInstance(value) ? type.cast(value) : null;
    }

    /** Stores the value; null removes the key. */
    @Override
    public void put(String key, Object value) {
        if (value == null) {
            values.remove(key);
        } else {
            values.put(key, value);
        }
    }

    @Override
    public void remove(String key) {
        values.remove(key);
    }

    @Override
    public <T> T computeIfAbsent(String key, Class<T> type, Supplier<T> creator) {
        return type.cast(values.computeIfAbsent(key, k -> creator.get()));
    }
}
