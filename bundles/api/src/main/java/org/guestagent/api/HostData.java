package org.guestagent.api;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Read access to what the host published for this guest, e.g. {@code vm-data/hostname} and
 * {@code vm-data/networking/<mac>} on XenStore. Paths are relative to the guest's home.
 * Commands use this service instead of talking to XenStore themselves.
 */
@Deprecated
@ProviderType
public interface HostData {

    /** The value of a node as text, or empty when the node does not exist. */
    Optional<String> read(String path) throws IOException;

    /** The names of a node's children, or an empty list when the node does not exist. */
    List<String> children(String path) throws IOException;
}
