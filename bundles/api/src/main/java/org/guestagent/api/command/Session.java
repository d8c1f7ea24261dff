package org.guestagent.api.command;

import java.util.function.Supplier;

import org.osgi.annotation.versioning.ProviderType;

/**
 * State that belongs to one exchange/parser pair, such as the key of a keyinit that a later
 * password must use. Two hosts on two exchanges never see each other's state.
 */
@ProviderType
public interface Session {

    /** A stable name of the pair, for logs. */
    String name();

    <T> T get(String key, Class<T> type);

    void put(String key, Object value);

    void remove(String key);

    /** Atomically returns the value for key, creating it when absent. */
    <T> T computeIfAbsent(String key, Class<T> type, Supplier<T> creator);
}
