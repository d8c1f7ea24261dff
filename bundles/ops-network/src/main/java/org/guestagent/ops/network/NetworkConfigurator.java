package org.guestagent.ops.network;

import java.io.IOException;
import java.util.Map;

import org.guestagent.commands.network.spi.NetworkConfig;
import org.osgi.annotation.versioning.ConsumerType;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Configures the guest's network, for any protocol's adapter (nova's {@code resetnetwork}): picks
 * the backend for the guest's OS (or the configured one), writes its files and the common ones
 * (hosts, resolver, hostname) in one file transaction keeping backups, sets the hostname and
 * restarts networking. One configuration at a time.
 */
@ProviderType
public interface NetworkConfigurator {

    /**
     * Configures the network the source describes. The source is asked once the guest's OS has a
     * backend, with the guest's NICs, so that it can match the host's interfaces to them.
     *
     * @param requestId names the request in the log
     * @throws NetworkConfigException when the guest cannot be configured; its message says why
     *         (the source's own failures come through unchanged)
     * @throws IOException when the guest's files cannot be read
     */
    void configure(String requestId, NetworkSource source) throws NetworkConfigException, IOException;

    /** The networking data of one request, in the protocol's form, read into the model. */
    @ConsumerType
    @FunctionalInterface
    interface NetworkSource {

        /**
         * @param guestNics every NIC of the guest, MAC (lower case, colons) to interface name
         * @throws NetworkConfigException when the data is missing or wrong; the message names the problem
         */
        NetworkConfig read(Map<String, String> guestNics) throws NetworkConfigException;
    }
}
