package org.guestagent.xenstore;

import java.nio.file.Path;

/**
 * Published as a service by an embedded xenstored (the simulator): XenStore users in the same
 * container connect to its socket instead of the configured one.
 */
public interface XenStoreEndpoint {

    /** The unix socket the server listens on for guest connections. */
    Path socketPath();
}
