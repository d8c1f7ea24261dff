package org.guestagent.commands.network.spi;

import java.util.List;

/**
 * One guest NIC with the configuration the host wants for it. Only enabled addresses are here.
 *
 * @param name     the guest's interface name (from the NIC with that MAC), e.g. eth0
 * @param mac      the MAC, lower case with colons
 * @param label    the host's label (e.g. public), or "" when none; never used for matching
 * @param ipv4     the IPv4 addresses, in the host's order; may be empty
 * @param ipv6     the IPv6 addresses, in the host's order; may be empty
 * @param gateway4 the IPv4 default gateway through this interface, or null
 * @param gateway6 the IPv6 default gateway through this interface, or null
 * @param routes   the static routes through this interface
 * @param dns      the DNS servers the host listed for this interface
 */
public record NetInterface(String name, String mac, String label, List<IpAddress> ipv4, List<IpAddress> ipv6,
        String gateway4, String gateway6, List<Route> routes, List<String> dns) {

    public NetInterface {
        ipv4 = List.copyOf(ipv4);
        ipv6 = List.copyOf(ipv6);
        routes = List.copyOf(routes);
        dns = List.copyOf(dns);
    }

    /** IPv4 then IPv6 addresses. */
    public List<IpAddress> addresses() {
        return java.util.stream.Stream.concat(ipv4.stream(), ipv6.stream()).toList();
    }

    public List<Route> routes4() {
        return routes.stream().filter(r -> !r.isIpv6()).toList();
    }

    public List<Route> routes6() {
        return routes.stream().filter(Route::isIpv6).toList();
    }
}
