package org.guestagent.api;

import java.util.function.Supplier;

/**
 * A {@link Session} kept in a concurrent map: what the core gives each exchange, and shells and tests.
 * Kept for bundles built against the first API; the map is {@link org.guestagent.api.command.MapSession}'s.
 */
@Deprecated
public class MapSession implements Session {
    private final org.guestagent.api.command.MapSession values;

    public MapSession(String name) {
        this.values = new org.guestagent.api.command.MapSession(name);
    }

    @Override
    public String name() {
        return values.name();
    }

    /** The value, or null when there is none or it is not of the type asked for. */
    @Override
    public <T> T get(String key, Class<T> type) {
        return values.get(key, type);
    }

    /** Stores the value; null removes the key. */
    @Override
    public void put(String key, Object value) {
        values.put(key, value);
    }

    @Override
    public void remove(String key) {
        values.remove(key);
    }

    @Override
    public <T> T computeIfAbsent(String key, Class<T> type, Supplier<T> creator) {
        return values.computeIfAbsent(key, type, creator);
    }
}
