package org.guestagent.commands.network.spi;

/**
 * One address of an interface with its prefix length.
 *
 * @param address the address as text, IPv4 dotted quad or IPv6 (lower case)
 * @param prefix  the prefix length (0..32 for IPv4, 0..128 for IPv6)
 */
public record IpAddress(String address, int prefix) {

    public boolean isIpv6() {
        return address.indexOf(':') >= 0;
    }

    /** {@code address/prefix}. */
    public String cidr() {
        return address + "/" + prefix;
    }

    /** The dotted netmask of an IPv4 prefix, e.g. 255.255.255.0 for 24. */
    public String netmask() {
        return netmaskOf(prefix);
    }

    /** The dotted IPv4 netmask of a prefix length 0..32. */
    public static String netmaskOf(int prefix) {
        long mask = prefix == 0 ? 0 : (0xFFFFFFFFL << (32 - prefix)) & 0xFFFFFFFFL;
        return ((mask >> 24) & 255) + "." + ((mask >> 16) & 255) + "." + ((mask >> 8) & 255) + "." + (mask & 255);
    }
}
