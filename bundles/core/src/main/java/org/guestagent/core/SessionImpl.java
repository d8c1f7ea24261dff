package org.guestagent.core;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import org.guestagent.api.Session;

/** State of one exchange, kept as long as the exchange service lives. */
final class SessionImpl implements Session {
    private final String name;
    private final Map<String, Object> values = new ConcurrentHashMap<>();

    SessionImpl(String name) {
        this.name = name;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public <T> T get(String key, Class<T> type) {
        Object value = values.get(key);
        return type.isInstance(value) ? type.cast(value) : null;
    }

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
        return type.cast(values.computeIfAbsent(key, k -> creator.get()));
    }
}
