package org.guestagent.parser.novajson;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.guestagent.api.CommandArgument;
import org.guestagent.api.CommandContext;
import org.guestagent.api.CommandException;
import org.guestagent.api.CommandInvoker;
import org.guestagent.api.CommandResult;
import org.guestagent.api.Exchange;
import org.guestagent.api.NoSuchCommandException;
import org.guestagent.api.Parser;
import org.guestagent.api.RawRequest;
import org.guestagent.api.Session;
import org.osgi.service.component.annotations.Component;

/**
 * The nova JSON protocol: a request {@code {"name": ..., "value": ...}}, an answer
 * {@code {"returncode": "<code>", "message": "<text>"}}, both fields strings.
 * Error texts are those the XenAPI host knows (PROTOCOL.md section 2).
 */
@Component(property = Exchange.PROTOCOL + "=" + NovaJsonParser.PROTOCOL)
public class NovaJsonParser implements Parser {
    public static final String PROTOCOL = "nova-json";

    static final String NO_BODY = "Internal error with request";
    static final String MALFORMED = "Request is malformed";
    static final String NO_NAME = "Request is missing 'name' key";

    private static final System.Logger LOG = System.getLogger(NovaJsonParser.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

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
        JsonNode tree;
        try {
            tree = JSON.readTree(strictUtf8(body));
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.INFO, "request {0}: not JSON ({1} bytes)", request.id(), body.length);
            return CommandResult.failed(MALFORMED);
        }
        if (tree == null || !tree.isObject()) {
            LOG.log(Level.INFO, "request {0}: JSON but not an object", request.id());
            return CommandResult.failed(MALFORMED);
        }
        JsonNode name = tree.get("name");
        if (name == null) {
            return CommandResult.failed(NO_NAME);
        }
        if (!name.isValueNode()) {
            return CommandResult.failed(MALFORMED);
        }
        String command = name.asText();
        CommandArgument argument = tree.has("value") ? CommandArgument.of(plain(tree.get("value")))
                : CommandArgument.of("");
        try {
            return invoker.invoke(command, argument, CommandContext.of(request.id(), session));
        } catch (NoSuchCommandException e) {
            return new CommandResult(CommandResult.NOT_FOUND, "No such agent command '" + command + "'");
        } catch (CommandException e) {
            return new CommandResult(e.code(), e.getMessage());
        }
    }

    /** Decodes UTF-8, refusing malformed bytes rather than replacing them. */
    private static String strictUtf8(byte[] body) throws CharacterCodingException {
        return StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(body)).toString();
    }

    /** Turns a JSON tree into the plain Java values CommandArgument holds. */
    static Object plain(JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return null;
        }
        if (node.isTextual()) {
            return node.textValue();
        }
        if (node.isBoolean()) {
            return node.booleanValue();
        }
        if (node.isIntegralNumber()) {
            return node.bigIntegerValue();
        }
        if (node.isNumber()) {
            return node.decimalValue();
        }
        if (node.isArray()) {
            List<Object> list = new ArrayList<>(node.size());
            node.forEach(item -> list.add(plain(item)));
            return list;
        }
        if (node.isObject()) {
            Map<String, Object> map = new LinkedHashMap<>();
            node.fields().forEachRemaining(field -> map.put(field.getKey(), plain(field.getValue())));
            return map;
        }
        return node.asText();
    }

    static byte[] encode(CommandResult result) {
        ObjectNode answer = JSON.createObjectNode();
        answer.put("returncode", result.code());
        answer.put("message", result.message());
        try {
            return JSON.writeValueAsBytes(answer);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode an answer", e);
        }
    }

}
