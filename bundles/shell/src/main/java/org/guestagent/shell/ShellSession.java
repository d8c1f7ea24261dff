package org.guestagent.shell;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import org.guestagent.api.Session;

/** The agent session of one shell session: state such as a keyinit key stays with it. */
final class ShellSession implements Session {
    private final String name;
    private final Map<String, Object> values = new ConcurrentHashMap<>();

    ShellSession(String name) {
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
