package org.guestagent.api.hostdata;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Read access to what the host published for this guest out of band, supplied by the exchange
 * that carried the request ({@code CommandContext.hostData()}). Paths are the same on every
 * exchange: {@value #HOSTNAME} and {@value #NETWORKING}{@code /<id>}; each exchange maps them to
 * where its host puts them (XenStore: {@code vm-data/...} below the guest's home).
 */
@ProviderType
public interface HostData {

    /** The guest's hostname as the host set it. */
    String HOSTNAME = "hostname";

    /** One child per network interface, each a JSON document (nova's network info). */
    String NETWORKING = "networking";

    /** The host's own name of a path, for messages (XenStore: {@code vm-data/<path>}). */
    default String where(String path) {
        return path;
    }

    /** The value of a node as text, or empty when the node does not exist. */
    Optional<String> read(String path) throws IOException;

    /** The names of a node's children, or an empty list when the node does not exist. */
    List<String> children(String path) throws IOException;
}
