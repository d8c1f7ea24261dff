package org.guestagent.commands.qga;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

/** Return values as JSON text, the form the QGA parser expects in an OK message. */
final class Json {
    private static final JsonFactory JSON = new JsonFactory();

    private Json() {
    }

    static String of(Object value) {
        StringWriter out = new StringWriter();
        try (JsonGenerator json = JSON.createGenerator(out)) {
            write(json, value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    @SuppressWarnings("unchecked")
    private static void write(JsonGenerator json, Object value) throws IOException {
        if (value == null) {
            json.writeNull();
        } else if (value instanceof String s) {
            json.writeString(s);
        } else if (value instanceof Boolean b) {
            json.writeBoolean(b);
        } else if (value instanceof Double d) {
            json.writeNumber(d);
        } else if (value instanceof Number n) {
            json.writeNumber(n.toString());
        } else if (value instanceof Map<?, ?> m) {
            json.writeStartObject();
            for (Map.Entry<String, Object> e : ((Map<String, Object>) m).entrySet()) {
                json.writeFieldName(e.getKey());
                write(json, e.getValue());
            }
            json.writeEndObject();
        } else if (value instanceof List<?> l) {
            json.writeStartArray();
            for (Object o : l) {
                write(json, o);
            }
            json.writeEndArray();
        } else {
            json.writeString(value.toString());
        }
    }
}
