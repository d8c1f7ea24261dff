package org.guestagent.core;

import java.util.function.Supplier;

import org.guestagent.api.command.Session;

/**
 * The pair's session as one request's command sees it. Once the command has passed its timeout
 * (its answer is a 500 and the pair has moved on), it may still read but no longer change the
 * session: what it would store belongs to a request the host has given up on.
 */
final class RequestSession implements Session {
    private final Session pair;
    private final String requestId;
    private volatile boolean revoked;

    RequestSession(Session pair, String requestId) {
        this.pair = pair;
        this.requestId = requestId;
    }

    void revoke() {
        revoked = true;
    }

    private void checkWritable() {
        if (revoked) {
            throw new IllegalStateException("request " + requestId + " passed its timeout; it may no longer change the session of "
                    + pair.name());
        }
    }

    @Override
    public String name() {
        return pair.name();
    }

    @Override
    public <T> T get(String key, Class<T> type) {
        return pair.get(key, type);
    }

    @Override
    public void put(String key, Object value) {
        checkWritable();
        pair.put(key, value);
    }

    @Override
    public void remove(String key) {
        checkWritable();
        pair.remove(key);
    }

    @Override
    public <T> T computeIfAbsent(String key, Class<T> type, Supplier<T> creator) {
        checkWritable();
        return pair.computeIfAbsent(key, type, creator);
    }
}
