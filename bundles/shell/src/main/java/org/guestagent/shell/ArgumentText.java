package org.guestagent.shell;

import java.io.IOException;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.guestagent.api.command.CommandArgument;

/**
 * Turns what an operator typed after {@code agent:call <name>} into a command argument:
 * valid JSON becomes its value (object, list, number, boolean, quoted text), anything else is
 * taken as plain text, so {@code agent:call version agent} and
 * {@code agent:call file_inject '{"b64_path":"..."}'} both work.
 */
final class ArgumentText {
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(JsonParser.Feature.AUTO_CLOSE_SOURCE);

    private ArgumentText() {
    }

    static CommandArgument parse(String text) {
        if (text == null) {
            return CommandArgument.NONE;
        }
        try {
            Object value = JSON.readValue(text, Object.class);
            return value == null ? CommandArgument.NONE : CommandArgument.of(value);
        } catch (IOException | IllegalArgumentException notJson) {
            return CommandArgument.of(text);
        }
    }
}
