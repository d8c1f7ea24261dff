package org.guestagent.ops.facts.system;

import java.util.LinkedHashMap;
import java.util.Map;

/** The KEY=value lines of os-release(5), with shell-style quotes removed. */
final class OsReleaseText {
    private OsReleaseText() {
    }

    static Map<String, String> parse(String text) {
        Map<String, String> values = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            line = line.strip();
            int eq = line.indexOf('=');
            if (line.isEmpty() || line.startsWith("#") || eq <= 0) {
                continue;
            }
            values.put(line.substring(0, eq), unquote(line.substring(eq + 1)));
        }
        return values;
    }

    private static String unquote(String value) {
        if (value.length() >= 2 && (value.charAt(0) == '"' || value.charAt(0) == '\'')
                && value.charAt(value.length() - 1) == value.charAt(0)) {
            char quote = value.charAt(0);
            String inner = value.substring(1, value.length() - 1);
            if (quote == '\'') {
                return inner;
            }
            StringBuilder out = new StringBuilder();
            for (int i = 0; i < inner.length(); i++) {
                char c = inner.charAt(i);
                if (c == '\\' && i + 1 < inner.length()) {
                    c = inner.charAt(++i);
                }
                out.append(c);
            }
            return out.toString();
        }
        return value;
    }
}
