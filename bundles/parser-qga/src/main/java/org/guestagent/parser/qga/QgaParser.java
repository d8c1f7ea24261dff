package org.guestagent.parser.qga;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import org.guestagent.api.command.CommandArgument;
import org.guestagent.api.command.CommandContext;
import org.guestagent.api.command.CommandException;
import org.guestagent.api.command.CommandResult;
import org.guestagent.api.command.Session;
import org.guestagent.api.runtime.CommandRegistry;
import org.guestagent.api.transport.CommandInvoker;
import org.guestagent.api.transport.Exchange;
import org.guestagent.api.transport.NoSuchCommandException;
import org.guestagent.api.transport.Parser;
import org.guestagent.api.transport.RawRequest;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Filter;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.util.tracker.ServiceTracker;

/**
 * The QEMU guest agent protocol (docs/PROTOCOL.md section 4): a request
 * {@code {"execute": NAME, "arguments": {...}, "id": ANY}}, an answer {@code {"return": VALUE}} or
 * {@code {"error": {"class": CLASS, "desc": TEXT}}} on one line, with the request's {@code id}
 * echoed. Texts and classes are those qemu-ga 7.2 gives.
 * <p>
 * A command's answer is neutral: an OK message is the JSON text of the return value (the QGA
 * command sets write it so); a message that is not JSON is returned as a JSON string. Every other
 * status is a {@code GenericError} with the message as its description, except
 * {@link CommandResult.Status#NOT_FOUND} ({@code CommandNotFound}); a detail set by an adapter is
 * used as the class. The arguments reach the command as an object (empty when absent).
 * <p>
 * A disabled command answers {@code CommandNotFound} "Command NAME has been disabled" before its
 * arguments are looked at, as qemu-ga does: disabled by the configuration (qemu-ga's
 * {@code --block-rpcs}, qemu-ga 8's {@code --allow-rpcs}), or by a gate service (see
 * {@link #DISABLED_REASON_PROPERTY}), whose reason follows after ": ". A name no command has is
 * "not found", disabled or not.
 */
@Component(configurationPid = QgaParser.PID, configurationPolicy = ConfigurationPolicy.OPTIONAL,
        property = Exchange.PROTOCOL + "=" + QgaParser.PROTOCOL)
@Designate(ocd = QgaParser.Config.class)
public class QgaParser implements Parser {
    public static final String PROTOCOL = "qga";
    static final String PID = "org.guestagent.parser.qga";
    /**
     * Session key under which the parser keeps a {@code java.util.function.Predicate<String>} telling
     * which command names are disabled now (by the configuration or by a gate, such as the frozen
     * file systems), so guest-info (in commands-qga) can show them as {@code "enabled": false}.
     */
    public static final String DISABLED_SESSION_KEY = "qga.disabled";

    @ObjectClassDefinition(name = "QGA parser", description = "The QEMU guest agent protocol: which commands a host may run")
    @interface Config {
        @AttributeDefinition(description = "Commands a host may not run (qemu-ga's --block-rpcs); they answer "
                + "CommandNotFound 'Command NAME has been disabled'", required = false)
        String[] block_rpcs() default {};

        @AttributeDefinition(description = "When not empty, the only commands a host may run (qemu-ga 8's --allow-rpcs)", required = false)
        String[] allow_rpcs() default {};
    }

    /**
     * Service property: while a service (of any class) carrying it is registered, every QGA command
     * not named in its {@link #DISABLED_EXCEPT_PROPERTY} is disabled and answers
     * {@code CommandNotFound} "Command NAME has been disabled: REASON", REASON being this property's
     * value. commands-qga registers one while the file systems are frozen (qemu-ga's frozen state,
     * reason "the agent is in frozen state"), so the two bundles share no package for it.
     */
    public static final String DISABLED_REASON_PROPERTY = "qga.disabled.reason";
    /** Service property beside {@link #DISABLED_REASON_PROPERTY}: the names that stay enabled (String[]). */
    public static final String DISABLED_EXCEPT_PROPERTY = "qga.disabled.except";

    /** A service that disables every command but some, for a reason (see DISABLED_REASON_PROPERTY). */
    record Gate(String reason, java.util.Set<String> except) {
    }

    /**
     * What is disabled now: the configuration's blocked names, every name outside the allowed ones
     * (when that list is not empty), and every name outside a gate's exceptions. A gate's reason
     * wins, as in qemu-ga, whose freeze gives its reason to each command it disables.
     */
    private record Rules(java.util.Set<String> blocked, java.util.Set<String> allowed, List<Gate> gates)
            implements java.util.function.Predicate<String> {
        /** The reason of the first gate that disables the name, or null. */
        String gateReason(String name) {
            for (Gate gate : gates) {
                if (!gate.except().contains(name)) {
                    return gate.reason();
                }
            }
            return null;
        }

        boolean configured(String name) {
            return blocked.contains(name) || (!allowed.isEmpty() && !allowed.contains(name));
        }

        @Override
        public boolean test(String name) {
            return configured(name) || gateReason(name) != null;
        }
    }

    private final Object rulesLock = new Object();
    private volatile Rules rules = new Rules(java.util.Set.of(), java.util.Set.of(), List.of());
    private ServiceTracker<Object, Gate> gateTracker;
    /** Tells a disabled command from an unknown one (qemu-ga never calls an unknown name "disabled"). */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile CommandRegistry registry;

    public QgaParser() {
    }

    @Activate
    void activate(BundleContext context, Config config) {
        configure(config);
        Filter filter;
        try {
            filter = context.createFilter("(" + DISABLED_REASON_PROPERTY + "=*)");
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        gateTracker = new ServiceTracker<>(context, filter, null) {
            @Override
            public Gate addingService(ServiceReference<Object> reference) {
                Gate gate = new Gate(String.valueOf(reference.getProperty(DISABLED_REASON_PROPERTY)),
                        names(strings(reference.getProperty(DISABLED_EXCEPT_PROPERTY))));
                gateAdded(gate);
                return gate;
            }

            @Override
            public void removedService(ServiceReference<Object> reference, Gate gate) {
                gateRemoved(gate);
            }
        };
        gateTracker.open(true);
    }

    @Deactivate
    void deactivate() {
        if (gateTracker != null) {
            gateTracker.close();
        }
    }

    @Modified
    void configure(Config config) {
        synchronized (rulesLock) {
            rules = new Rules(names(config.block_rpcs()), names(config.allow_rpcs()), rules.gates());
        }
    }

    /** While a gate is there, the commands outside its exceptions are disabled. */
    void gateAdded(Gate gate) {
        synchronized (rulesLock) {
            List<Gate> now = new ArrayList<>(rules.gates());
            now.add(gate);
            rules = new Rules(rules.blocked(), rules.allowed(), List.copyOf(now));
        }
    }

    void gateRemoved(Gate gate) {
        synchronized (rulesLock) {
            List<Gate> now = new ArrayList<>(rules.gates());
            now.remove(gate); // the tracker hands back the very object it was given
            rules = new Rules(rules.blocked(), rules.allowed(), List.copyOf(now));
        }
    }

    /** For tests: the gate a service with these properties makes. */
    static Gate gate(String reason, String... except) {
        return new Gate(reason, names(except));
    }

    /** For tests: the registry that tells known names. */
    void registry(CommandRegistry commands) {
        this.registry = commands;
    }

    private static String[] strings(Object value) {
        if (value instanceof String[] array) {
            return array;
        }
        if (value instanceof java.util.Collection<?> collection) {
            return collection.stream().map(String::valueOf).toArray(String[]::new);
        }
        return value == null ? new String[0] : new String[] {String.valueOf(value)};
    }

    /** A list property may come as one comma-separated string (a .cfg file) or as an array. */
    private static java.util.Set<String> names(String[] values) {
        java.util.Set<String> names = new java.util.TreeSet<>();
        for (String value : values == null ? new String[0] : values) {
            for (String name : value.split(",")) {
                if (!name.isBlank()) {
                    names.add(name.strip());
                }
            }
        }
        return java.util.Collections.unmodifiableSet(names);
    }
    /** The command whose answer starts with the 0xFF delimiter. */
    static final String SYNC_DELIMITED = "guest-sync-delimited";
    /** Commands that, like qemu-ga's, send no answer when they succeed (the guest is going away). */
    static final java.util.Set<String> NO_SUCCESS_RESPONSE = java.util.Set.of("guest-shutdown", "guest-suspend-disk",
            "guest-suspend-ram", "guest-suspend-hybrid");
    static final String GENERIC_ERROR = "GenericError";
    static final String COMMAND_NOT_FOUND = "CommandNotFound";

    private static final System.Logger LOG = System.getLogger(QgaParser.class.getName());
    /**
     * Strings up to qemu-ga's largest JSON token (64 MiB): Jackson's default of 20 million
     * characters is less than a guest-exec-status with 16 MiB of output in base64.
     */
    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(com.fasterxml.jackson.core.StreamReadConstraints.builder().maxStringLength(64 << 20).build())
            .build();
    private static final byte DELIMITER = (byte) 0xFF;
    /** {"return": {}} as the generator below writes it. */
    private static final byte[] EMPTY_RETURN = "{\"return\":{}}\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /** The request's JSON is broken; the message is qemu-ga's text after "JSON parse error, ". */
    static final class Malformed extends Exception {
        private static final long serialVersionUID = 1L;

        Malformed(String what) {
            super(what, null, false, false);
        }
    }

    @Override
    public byte[] handle(RawRequest request, CommandInvoker invoker, Session session) {
        byte[] body = request.body();
        if (body.length == 1 && body[0] == DELIMITER) {
            // qemu-ga's lexer sees the host's reset byte as a stray character and says so
            return error(GENERIC_ERROR, "JSON parse error, stray '\uFFFD'", null, false);
        }
        Object root;
        try {
            root = readDocument(body);
        } catch (Malformed e) {
            LOG.log(Level.DEBUG, "request {0}: not JSON ({1} bytes)", request.id(), body.length);
            return error(GENERIC_ERROR, "JSON parse error, " + e.getMessage(), null, false);
        }
        if (!(root instanceof Map<?, ?> map)) {
            return error(GENERIC_ERROR, "QMP input must be a JSON object", null, false);
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> input = (Map<String, Object>) map;
        boolean hasId = input.containsKey("id");
        Object id = input.get("id");
        if (!input.containsKey("execute")) {
            return error(GENERIC_ERROR, "QMP input lacks member 'execute'", id, hasId);
        }
        if (!(input.get("execute") instanceof String name)) {
            return error(GENERIC_ERROR, "QMP input member 'execute' must be a string", id, hasId);
        }
        if (input.containsKey("arguments") && !(input.get("arguments") instanceof Map)) {
            return error(GENERIC_ERROR, "QMP input member 'arguments' must be an object", id, hasId);
        }
        if (input.size() > 1 + (hasId ? 1 : 0) + (input.containsKey("arguments") ? 1 : 0)) {
            for (String member : input.keySet()) { // only then: no key set and iterator per request
                if (!member.equals("execute") && !member.equals("arguments") && !member.equals("id")) {
                    return error(GENERIC_ERROR, "QMP input member '" + member + "' is unexpected", id, hasId);
                }
            }
        }
        Rules now = rules;
        if (session != null) {
            session.put(DISABLED_SESSION_KEY, now);
        }
        String gateReason = now.gateReason(name);
        if ((gateReason != null || now.configured(name)) && known(name)) {
            return error(COMMAND_NOT_FOUND, "Command " + name + " has been disabled"
                    + (gateReason == null ? "" : ": " + gateReason), id, hasId);
        }
        Object arguments = input.containsKey("arguments") ? input.get("arguments") : new LinkedHashMap<>();
        CommandResult result;
        try {
            result = invoker.invoke(name, CommandArgument.of(arguments),
                    CommandContext.of(request.id(), session, PROTOCOL));
        } catch (NoSuchCommandException e) {
            result = CommandResult.notFound("The command " + name + " has not been found");
        } catch (CommandException e) {
            result = e.result();
        }
        if (result.status() == CommandResult.Status.OK) {
            if (NO_SUCCESS_RESPONSE.contains(name)) {
                return new byte[0];
            }
            return answer(result.message(), id, hasId, name.equals(SYNC_DELIMITED));
        }
        String errorClass = result.detail() != null ? result.detail()
                : result.status() == CommandResult.Status.NOT_FOUND ? COMMAND_NOT_FOUND : GENERIC_ERROR;
        return error(errorClass, result.message(), id, hasId);
    }

    /** Whether a command of the name is there (an unknown one answers "has not been found", disabled or not). */
    private boolean known(String name) {
        CommandRegistry commands = registry;
        if (commands == null) {
            return true;
        }
        for (CommandRegistry.CommandInfo command : commands.commands(PROTOCOL)) {
            if (command.name().equals(name)) {
                return true;
            }
        }
        return false;
    }

    /** {"return": VALUE} with the id, the value being the message's JSON (or the message as a string). */
    static byte[] answer(String message, Object id, boolean hasId, boolean delimited) {
        boolean empty = message.isEmpty() || message.equals("{}");
        if (empty && !hasId && !delimited) {
            return EMPTY_RETURN.clone(); // guest-ping's answer, the one a polling host asks for most
        }
        Object value;
        try {
            value = empty ? new LinkedHashMap<>() : readDocument(message.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (Malformed e) {
            value = message;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 + message.length());
        if (delimited) {
            out.write(DELIMITER);
        }
        try (JsonGenerator json = JSON.createGenerator(out)) {
            json.writeStartObject();
            json.writeFieldName("return");
            writeValue(json, value);
            if (hasId) {
                json.writeFieldName("id");
                writeValue(json, id);
            }
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode an answer", e);
        }
        out.write('\n');
        return out.toByteArray();
    }

    static byte[] error(String errorClass, String desc, Object id, boolean hasId) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(96 + desc.length());
        try (JsonGenerator json = JSON.createGenerator(out)) {
            json.writeStartObject();
            json.writeObjectFieldStart("error");
            json.writeStringField("class", errorClass);
            json.writeStringField("desc", desc);
            json.writeEndObject();
            if (hasId) {
                json.writeFieldName("id");
                writeValue(json, id);
            }
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode an answer", e);
        }
        out.write('\n');
        return out.toByteArray();
    }

    @SuppressWarnings("unchecked")
    static void writeValue(JsonGenerator json, Object value) throws IOException {
        if (value == null) {
            json.writeNull();
        } else if (value instanceof String s) {
            json.writeString(s);
        } else if (value instanceof Boolean b) {
            json.writeBoolean(b);
        } else if (value instanceof BigInteger i) {
            json.writeNumber(i);
        } else if (value instanceof BigDecimal d) {
            json.writeNumber(d);
        } else if (value instanceof Number n) {
            json.writeNumber(n.toString());
        } else if (value instanceof Map<?, ?> m) {
            json.writeStartObject();
            for (Map.Entry<String, Object> e : ((Map<String, Object>) m).entrySet()) {
                json.writeFieldName(e.getKey());
                writeValue(json, e.getValue());
            }
            json.writeEndObject();
        } else if (value instanceof List<?> l) {
            json.writeStartArray();
            for (Object o : l) {
                writeValue(json, o);
            }
            json.writeEndArray();
        } else {
            json.writeString(value.toString());
        }
    }

    /**
     * One JSON value and nothing after it, as the plain values a CommandArgument holds. Errors carry
     * qemu-ga's wording where it is known: an unknown word is an "invalid keyword", anything else
     * missing is "expecting value".
     */
    static Object readDocument(byte[] text) throws Malformed {
        Object plain = PlainJsonReader.read(text);
        if (plain != PlainJsonReader.NOT_PLAIN) {
            return plain;
        }
        return readWithJackson(text);
    }

    /** {@link #readDocument} by Jackson alone: any document, and qemu-ga's wording for the broken ones. */
    static Object readWithJackson(byte[] text) throws Malformed {
        try (JsonParser in = JSON.createParser(text)) {
            JsonToken first = in.nextToken();
            if (first == null) {
                throw new Malformed("expecting value");
            }
            Object value = readValue(in, first);
            if (in.nextToken() != null) {
                throw new Malformed("expecting value");
            }
            return value;
        } catch (JsonParseException e) {
            throw new Malformed(describe(e));
        } catch (IOException e) {
            throw new Malformed("expecting value");
        }
    }

    private static String describe(JsonParseException e) {
        String message = String.valueOf(e.getOriginalMessage());
        // Jackson: "Unrecognized token 'tru': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')"
        int start = message.indexOf("Unrecognized token '");
        if (start >= 0) {
            int from = start + "Unrecognized token '".length();
            int to = message.indexOf('\'', from);
            if (to > from) {
                return "invalid keyword '" + message.substring(from, to) + "'";
            }
        }
        return "expecting value";
    }

    private static Object readValue(JsonParser in, JsonToken token) throws IOException, Malformed {
        switch (token) {
            case START_OBJECT -> {
                Map<String, Object> map = new LinkedHashMap<>();
                for (JsonToken t = in.nextToken(); t != JsonToken.END_OBJECT; t = in.nextToken()) {
                    if (t == null) {
                        throw new Malformed("expecting value");
                    }
                    String key = in.currentName();
                    map.put(key, readValue(in, in.nextToken()));
                }
                return map;
            }
            case START_ARRAY -> {
                List<Object> list = new ArrayList<>();
                for (JsonToken t = in.nextToken(); t != JsonToken.END_ARRAY; t = in.nextToken()) {
                    if (t == null) {
                        throw new Malformed("expecting value");
                    }
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
                return in.getDecimalValue();
            }
            default -> throw new Malformed("expecting value");
        }
    }
}
