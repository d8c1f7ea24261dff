package org.guestagent.commands.network.spi;

/**
 * A static route through a gateway on the interface's link.
 *
 * @param network the destination network address
 * @param prefix  its prefix length
 * @param gateway the next hop
 */
public record Route(String network, int prefix, String gateway) {

    public boolean isIpv6() {
        return network.indexOf(':') >= 0;
    }

    /** {@code network/prefix}. */
    public String cidr() {
        return network + "/" + prefix;
    }

    /** The dotted IPv4 netmask of the destination. */
    public String netmask() {
        return IpAddress.netmaskOf(prefix);
    }
}
