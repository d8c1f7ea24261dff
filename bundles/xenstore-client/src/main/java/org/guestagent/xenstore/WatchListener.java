package org.guestagent.xenstore;

/** Receives the WATCH_EVENTs of one watch, on the client's event thread, in arrival order. */
@FunctionalInterface
public interface WatchListener {

    /** @param path the changed node, relative when the watch was registered with a relative path */
    void changed(String path, String token);
}
