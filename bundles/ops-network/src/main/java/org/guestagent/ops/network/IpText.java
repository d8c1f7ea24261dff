package org.guestagent.ops.network;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.guestagent.ops.facts.Ipv6Text;

/** Checks and normalises address text without ever asking a name server. */
public final class IpText {

    private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");
    private static final Pattern IPV6_CHARS = Pattern.compile("[0-9A-Fa-f:.]+");

    private IpText() {
    }

    /** The IPv4 address as a 32-bit number, or -1 when the text is not a dotted quad. */
    public static long ipv4Value(String text) {
        Matcher m = IPV4.matcher(text == null ? "" : text.strip());
        if (!m.matches()) {
            return -1;
        }
        long value = 0;
        for (int i = 1; i <= 4; i++) {
            int octet = Integer.parseInt(m.group(i));
            if (octet > 255) {
                return -1;
            }
            value = (value << 8) | octet;
        }
        return value;
    }

    public static String ipv4Text(long value) {
        return ((value >> 24) & 255) + "." + ((value >> 16) & 255) + "." + ((value >> 8) & 255) + "." + (value & 255);
    }

    /** The IPv4 address without leading zeros, or null when the text is not one. */
    public static String ipv4(String text) {
        long value = ipv4Value(text);
        return value < 0 ? null : ipv4Text(value);
    }

    /** The prefix length of a dotted netmask, or -1 when it is not a contiguous netmask. */
    public static int prefixOfNetmask(String text) {
        long mask = ipv4Value(text);
        if (mask < 0) {
            return -1;
        }
        int prefix = Long.numberOfLeadingZeros(~mask & 0xFFFFFFFFL) - 32;
        long expected = prefix == 0 ? 0 : (0xFFFFFFFFL << (32 - prefix)) & 0xFFFFFFFFL;
        return mask == expected ? prefix : -1;
    }

    /** The 16 bytes of an IPv6 address, or null when the text is not one (no zone ids). */
    public static byte[] ipv6Bytes(String text) {
        if (text == null) {
            return null;
        }
        String t = text.strip();
        // only literal IPv6 text reaches InetAddress, so it never does a name lookup
        if (t.indexOf(':') < 0 || !IPV6_CHARS.matcher(t).matches()) {
            return null;
        }
        try {
            InetAddress address = InetAddress.getByName(t);
            return address instanceof Inet6Address ? address.getAddress() : null;
        } catch (UnknownHostException e) {
            return null;
        }
    }

    /** The IPv6 address in its canonical short form (RFC 5952), or null when the text is not one. */
    public static String ipv6(String text) {
        byte[] bytes = ipv6Bytes(text);
        return bytes == null ? null : ipv6Text(bytes);
    }

    public static String ipv6Text(byte[] bytes) {
        return Ipv6Text.of(bytes);
    }

    /** True when no bit beyond the prefix is set, i.e. the address is a network address. */
    public static boolean isNetwork(String address, int prefix) {
        if (address.indexOf(':') < 0) {
            long value = ipv4Value(address);
            long hostMask = prefix == 32 ? 0 : (0xFFFFFFFFL >>> prefix);
            return (value & hostMask) == 0;
        }
        byte[] bytes = ipv6Bytes(address);
        for (int bit = prefix; bit < 128; bit++) {
            if ((bytes[bit / 8] & (0x80 >> (bit % 8))) != 0) {
                return false;
            }
        }
        return true;
    }
}
