package org.guestagent.commands.network.spi;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The host's networking data, validated and matched to the guest's NICs.
 *
 * @param hostname   the hostname to set, or empty when the host gave none
 * @param interfaces the configured interfaces, ordered by interface name
 * @param dns        all DNS servers of all interfaces, first occurrence first, no duplicates
 * @param guestNics  every NIC the guest has, MAC (lower case) to interface name; lets a backend
 *                   tell a stale file of a NIC that is gone from one of a NIC left unconfigured
 */
public record NetworkConfig(Optional<String> hostname, List<NetInterface> interfaces, List<String> dns,
        Map<String, String> guestNics) {

    public NetworkConfig {
        interfaces = List.copyOf(interfaces);
        dns = List.copyOf(dns);
        guestNics = Map.copyOf(guestNics);
    }

    /** True when a NIC of that name exists on the guest. */
    public boolean nicExists(String name) {
        return guestNics.containsValue(name);
    }

    /** True when the interface of that name is configured by this data. */
    public boolean configures(String name) {
        return interfaces.stream().anyMatch(i -> i.name().equals(name));
    }
}
