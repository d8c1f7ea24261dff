package org.guestagent.ops.facts;

/** IPv6 addresses as text in RFC 5952's short form, as inet_ntop writes them (no scope). */
public final class Ipv6Text {
    private Ipv6Text() {
    }

    /** The 16 bytes of an IPv6 address as text: lower-case groups, the longest run of two or more zero groups as "::". */
    public static String of(byte[] bytes) {
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = ((bytes[2 * i] & 255) << 8) | (bytes[2 * i + 1] & 255);
        }
        // the longest run of two or more zero groups becomes "::" (the first one on a tie)
        int bestStart = -1, bestLength = 1;
        for (int i = 0; i < 8; ) {
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                out.append("::");
                i += bestLength - 1;
                continue;
            }
            if (out.length() > 0 && out.charAt(out.length() - 1) != ':') {
                out.append(':');
            }
            out.append(Integer.toHexString(groups[i]));
        }
        return out.toString();
    }
}
