package org.guestagent.ops.facts;

/** MAC address text in one form: lower case hex pairs joined by colons (the guest facts' and the host data's MACs compare equal). */
public final class Macs {
    private Macs() {
    }

    /** {@code de:ad:be:ef:00:01} from any of the usual spellings, or null when it is not a MAC. */
    public static String normalise(String text) {
        String hex = text.strip().replace(":", "").replace("-", "").toLowerCase();
        if (!hex.matches("[0-9a-f]{12}")) {
            return null;
        }
        StringBuilder mac = new StringBuilder();
        for (int i = 0; i < 12; i += 2) {
            mac.append(i == 0 ? "" : ":").append(hex, i, i + 2);
        }
        return mac.toString();
    }
}
