package org.guestagent.commands.network.spi;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The guest's identity from {@code /etc/os-release}.
 *
 * @param id        ID, lower case, e.g. debian, ubuntu, rhel; "" when unknown
 * @param idLike    the words of ID_LIKE, lower case
 * @param versionId VERSION_ID, e.g. 22.04; "" when absent
 */
public record OsRelease(String id, List<String> idLike, String versionId) {

    public static final OsRelease UNKNOWN = new OsRelease("", List.of(), "");

    public OsRelease {
        idLike = List.copyOf(idLike);
    }

    /** Reads the text of an os-release file (KEY=value lines, values optionally quoted). */
    public static OsRelease parse(String text) {
        Map<String, String> values = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            line = line.strip();
            int eq = line.indexOf('=');
            if (line.startsWith("#") || eq <= 0) {
                continue;
            }
            String value = line.substring(eq + 1).strip();
            if (value.length() >= 2 && (value.charAt(0) == '"' || value.charAt(0) == '\'')
                    && value.charAt(value.length() - 1) == value.charAt(0)) {
                value = value.substring(1, value.length() - 1);
            }
            values.put(line.substring(0, eq).strip(), value);
        }
        String like = values.getOrDefault("ID_LIKE", "").toLowerCase();
        return new OsRelease(values.getOrDefault("ID", "").toLowerCase(),
                like.isBlank() ? List.of() : Arrays.asList(like.strip().split("\\s+")),
                values.getOrDefault("VERSION_ID", ""));
    }

    /** True when ID or one of ID_LIKE is one of the names. */
    public boolean isLike(String... names) {
        for (String name : names) {
            if (id.equals(name) || idLike.contains(name)) {
                return true;
            }
        }
        return false;
    }

    /** The leading number of VERSION_ID (22 for 22.04), or -1 when there is none. */
    public int majorVersion() {
        return versionPart(0);
    }

    /** True when VERSION_ID is at least major.minor. */
    public boolean versionAtLeast(int major, int minor) {
        int m = majorVersion();
        return m > major || (m == major && Math.max(versionPart(1), 0) >= minor);
    }

    private int versionPart(int index) {
        String[] parts = versionId.split("\\.");
        if (index >= parts.length) {
            return -1;
        }
        String digits = parts[index].replaceAll("^(\\d*).*$", "$1");
        return digits.isEmpty() ? -1 : Integer.parseInt(digits);
    }
}
