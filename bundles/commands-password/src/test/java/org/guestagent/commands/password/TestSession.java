package org.guestagent.commands.password;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import org.guestagent.api.CommandContext;
import org.guestagent.api.Session;

/** The state of one exchange, as the core keeps it, and a context for requests on it. */
final class TestSession implements Session {

    private final String name;
    private final Map<String, Object> values = new ConcurrentHashMap<>();
    private int requests;

    TestSession(String name) {
        this.name = name;
    }

    /** The context of the next request on this exchange. */
    synchronized CommandContext request() {
        String id = name + "-request-" + (++requests);
        return new CommandContext() {
            @Override
            public String requestId() {
                return id;
            }

            @Override
            public Session session() {
                return TestSession.this;
            }
        };
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public <T> T get(String key, Class<T> type) {
        return type.cast(values.get(key));
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
