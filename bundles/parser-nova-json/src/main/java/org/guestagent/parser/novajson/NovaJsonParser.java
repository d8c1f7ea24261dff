package org.guestagent.parser.novajson;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.json.JsonWriteFeature;

import org.guestagent.api.command.CommandArgument;
import org.guestagent.api.command.CommandContext;
import org.guestagent.api.command.CommandException;
import org.guestagent.api.transport.CommandInvoker;
import org.guestagent.api.command.CommandResult;
import org.guestagent.api.transport.Exchange;
import org.guestagent.api.transport.NoSuchCommandException;
import org.guestagent.api.transport.Parser;
import org.guestagent.api.transport.RawRequest;
import org.guestagent.api.command.Session;
import org.osgi.service.component.annotations.Component;

/**
 * The nova JSON protocol: a request {@code {"name": ..., "value": ...}}, an answer
 * {@code {"returncode": "<code>", "message": "<text>"}}, both fields strings.
 * Error texts are those the XenAPI host knows (docs/PROTOCOL.md section 2).
 * The request is read with Jackson's streaming parser straight into the plain values a
 * {@link CommandArgument} holds: no tree model, so the first request after a boot does not wait
 * for jackson-databind to load and warm up.
 */
@Component(property = Exchange.PROTOCOL + "=" + NovaJsonParser.PROTOCOL)
public class NovaJsonParser implements Parser {
    public static final String PROTOCOL = "nova-json";

    static final String NO_BODY = "Internal error with request";
    static final String MALFORMED = "Request is malformed";
    static final String NO_NAME = "Request is missing 'name' key";

    private static final System.Logger LOG = System.getLogger(NovaJsonParser.class.getName());
    /** Thread-safe once configured; shared by every request. */
    private static final JsonFactory JSON = new JsonFactory();
    /**
     * Answers are written as printable ASCII: the dom0 plugin reads them with xenstore-read, which
     * doubles every backslash and prints other bytes as \xNN, and nova parses what it prints.
     * A doubled backslash-u escape is still a valid (if literal) JSON string; a doubled
     * backslash-quote ends the string early.
     */
    private static final JsonFactory ANSWER_JSON = new JsonFactoryBuilder()
            .characterEscapes(new PrintableAsciiEscapes())
            .enable(JsonWriteFeature.ESCAPE_NON_ASCII)
            .build();

    /** Every character outside printable ASCII, and the quote and the backslash, as a backslash-u escape. */
    private static final class PrintableAsciiEscapes extends CharacterEscapes {
        private static final int[] ESCAPES = escapes();

        private static int[] escapes() {
            int[] escapes = CharacterEscapes.standardAsciiEscapesForJSON();
            for (int c = 0; c < escapes.length; c++) {
                if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
                    escapes[c] = CharacterEscapes.ESCAPE_STANDARD; // six characters, never the two-character forms
                }
            }
            return escapes;
        }

        @Override
        public int[] getEscapeCodesForAscii() {
            return ESCAPES;
        }

        @Override
        public SerializableString getEscapeSequence(int ch) {
            return null; // non-ASCII is escaped by ESCAPE_NON_ASCII
        }
    }

    /** A request whose JSON is broken, or trails something after its object. */
    private static final class Malformed extends Exception {
        Malformed() {
            super(null, null, false, false);
        }
    }

    @Override
    public byte[] handle(RawRequest request, CommandInvoker invoker, Session session) {
        return encode(run(request, invoker, session));
    }

    private CommandResult run(RawRequest request, CommandInvoker invoker, Session session) {
        byte[] body = request.body();
        if (body.length == 0) {
            LOG.log(Level.INFO, "request {0}: empty", request.id());
            return CommandResult.failed(NO_BODY);
        }
        Object root;
        try {
            root = readDocument(strictUtf8(body));
        } catch (IOException | Malformed | RuntimeException e) {
            LOG.log(Level.INFO, "request {0}: not JSON ({1} bytes)", request.id(), body.length);
            return CommandResult.failed(MALFORMED);
        }
        if (!(root instanceof Map<?, ?> tree)) {
            LOG.log(Level.INFO, "request {0}: JSON but not an object", request.id());
            return CommandResult.failed(MALFORMED);
        }
        if (!tree.containsKey("name")) {
            return CommandResult.failed(NO_NAME);
        }
        Object name = tree.get("name");
        if (name instanceof Map || name instanceof List) {
            return CommandResult.failed(MALFORMED);
        }
        String command = asText(name);
        CommandArgument argument = tree.containsKey("value") ? CommandArgument.of(tree.get("value"))
                : CommandArgument.of("");
        try {
            return invoker.invoke(command, argument, CommandContext.of(request.id(), session));
        } catch (NoSuchCommandException e) {
            return CommandResult.notFound("No such agent command '" + command + "'");
        } catch (CommandException e) {
            return e.result();
        }
    }

    /** Decodes UTF-8, refusing malformed bytes rather than replacing them. */
    private static String strictUtf8(byte[] body) throws CharacterCodingException {
        return StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(body)).toString();
    }

    /**
     * One JSON value and nothing after it (else {@link Malformed}); empty text is malformed too.
     * Values become what CommandArgument holds: String, Boolean, BigInteger, BigDecimal, null,
     * List and Map (a repeated key keeps its first place and its last value).
     */
    static Object readDocument(String text) throws IOException, Malformed {
        try (JsonParser in = JSON.createParser(text)) {
            JsonToken first = in.nextToken();
            if (first == null) {
                throw new Malformed();
            }
            Object value = readValue(in, first);
            if (in.nextToken() != null) {
                throw new Malformed();
            }
            return value;
        }
    }

    private static Object readValue(JsonParser in, JsonToken token) throws IOException, Malformed {
        switch (token) {
            case START_OBJECT -> {
                Map<String, Object> map = new LinkedHashMap<>();
                for (JsonToken t = in.nextToken(); t != JsonToken.END_OBJECT; t = in.nextToken()) {
                    String key = in.currentName();
                    map.put(key, readValue(in, in.nextToken()));
                }
                return map;
            }
            case START_ARRAY -> {
                List<Object> list = new ArrayList<>();
                for (JsonToken t = in.nextToken(); t != JsonToken.END_ARRAY; t = in.nextToken()) {
                    list.add(readValue(in, t));
                }
                return list;
            }
            case VALUE_STRING -> {
                return in.getText();
            }
            case VALUE_TRUE -> {
                return Boolean.TRUE;
            }
            case VALUE_FALSE -> {
                return Boolean.FALSE;
            }
            case VALUE_NULL -> {
                return null;
            }
            case VALUE_NUMBER_INT -> {
                return in.getBigIntegerValue();
            }
            case VALUE_NUMBER_FLOAT -> {
                // as the tree model had it: a double, then its exact decimal form
                return BigDecimal.valueOf(in.getDoubleValue());
            }
            default -> throw new Malformed();
        }
    }

    /** The command name as text: a string as is, other plain values as JSON writes them. */
    private static String asText(Object value) {
        if (value instanceof BigDecimal d) {
            return Double.toString(d.doubleValue());
        }
        return String.valueOf(value);
    }

    /**
     * nova's return code: the detail a nova adapter set (keyinit's "D0"), else "0" for success,
     * "404" for an unknown command and "500" for every failure (nova has no code of its own for a
     * bad argument).
     */
    static String returnCode(CommandResult result) {
        if (result.detail() != null) {
            return result.detail();
        }
        return switch (result.status()) {
            case OK -> "0";
            case NOT_FOUND -> "404";
            case FAILED, INVALID_ARGUMENT -> "500";
        };
    }

    static byte[] encode(CommandResult result) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 + result.message().length());
        try (JsonGenerator json = ANSWER_JSON.createGenerator(out)) {
            json.writeStartObject();
            json.writeStringField("returncode", returnCode(result));
            json.writeStringField("message", result.message());
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode an answer", e);
        }
        return out.toByteArray();
    }
}
