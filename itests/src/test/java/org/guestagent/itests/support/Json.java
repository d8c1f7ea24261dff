package org.guestagent.itests.support;

/** Builds nova JSON requests and answers for assertions, without a JSON library in the probe. */
public final class Json {
    private Json() {
    }

    public static String request(String name, String quotedValue) {
        return "{\"name\": \"" + name + "\", \"value\": " + quotedValue + "}";
    }

    /** An answer as the agent writes it: printable ASCII, with quote, backslash and all else as backslash-u escapes. */
    public static String answer(String code, String message) {
        return "{\"returncode\":\"" + code + "\",\"message\":\"" + escaped(message) + "\"}";
    }

    private static String escaped(String text) {
        StringBuilder out = new StringBuilder();
        for (char c : text.toCharArray()) {
            if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
                out.append(String.format("\\u%04X", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
