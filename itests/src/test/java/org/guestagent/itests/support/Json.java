package org.guestagent.itests.support;

/** Builds nova JSON requests and answers for assertions, without a JSON library in the probe. */
public final class Json {
    private Json() {
    }

    public static String request(String name, String quotedValue) {
        return "{\"name\": \"" + name + "\", \"value\": " + quotedValue + "}";
    }

    public static String answer(String code, String message) {
        return "{\"returncode\":\"" + code + "\",\"message\":\"" + message.replace("\"", "\\\"") + "\"}";
    }
}
