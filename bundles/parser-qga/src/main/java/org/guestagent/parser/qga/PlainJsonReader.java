package org.guestagent.parser.qga;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the plain requests a host sends most (ASCII JSON without escapes, a few members) into the
 * same values {@link QgaParser#readDocument} gives, without creating a Jackson parser for each
 * (which, with the agent's client compiler, costs more than the rest of a guest-ping). Anything
 * else, errors included, it leaves to Jackson by answering {@link #NOT_PLAIN}: it accepts a subset
 * of what Jackson accepts, and never words an error.
 */
final class PlainJsonReader {
    /** The document is not plain (or not valid): read it with Jackson. */
    static final Object NOT_PLAIN = new Object();
    /** Larger documents go to Jackson, whose limits (nesting, number length) they could reach. */
    static final int MAX_BYTES = 16 * 1024;
    private static final int MAX_DEPTH = 64;
    private static final int MAX_NUMBER_DIGITS = 100;

    private final byte[] text;
    private int at;

    private PlainJsonReader(byte[] text) {
        this.text = text;
    }

    /** The document's value, or {@link #NOT_PLAIN}. */
    static Object read(byte[] text) {
        if (text.length > MAX_BYTES) {
            return NOT_PLAIN;
        }
        PlainJsonReader reader = new PlainJsonReader(text);
        try {
            reader.skipWhite();
            Object value = reader.value(0);
            reader.skipWhite();
            return reader.at == text.length ? value : NOT_PLAIN;
        } catch (NotPlain e) {
            return NOT_PLAIN;
        }
    }

    /** Thrown (without a stack trace) where the reader gives up. */
    private static final class NotPlain extends Exception {
        private static final long serialVersionUID = 1L;
        static final NotPlain INSTANCE = new NotPlain();

        private NotPlain() {
            super(null, null, false, false);
        }
    }

    private Object value(int depth) throws NotPlain {
        if (at >= text.length || depth > MAX_DEPTH) {
            throw NotPlain.INSTANCE;
        }
        switch (text[at]) {
            case '{' -> {
                return object(depth + 1);
            }
            case '[' -> {
                return array(depth + 1);
            }
            case '"' -> {
                return string();
            }
            case 't' -> {
                literal("true");
                return Boolean.TRUE;
            }
            case 'f' -> {
                literal("false");
                return Boolean.FALSE;
            }
            case 'n' -> {
                literal("null");
                return null;
            }
            default -> {
                return number();
            }
        }
    }

    private Map<String, Object> object(int depth) throws NotPlain {
        at++; // {
        Map<String, Object> map = new LinkedHashMap<>();
        skipWhite();
        if (at < text.length && text[at] == '}') {
            at++;
            return map;
        }
        while (true) {
            skipWhite();
            if (at >= text.length || text[at] != '"') {
                throw NotPlain.INSTANCE;
            }
            String key = string();
            skipWhite();
            expect(':');
            skipWhite();
            map.put(key, value(depth));
            skipWhite();
            if (at < text.length && text[at] == ',') {
                at++;
                continue;
            }
            expect('}');
            return map;
        }
    }

    private List<Object> array(int depth) throws NotPlain {
        at++; // [
        List<Object> list = new ArrayList<>();
        skipWhite();
        if (at < text.length && text[at] == ']') {
            at++;
            return list;
        }
        while (true) {
            skipWhite();
            list.add(value(depth));
            skipWhite();
            if (at < text.length && text[at] == ',') {
                at++;
                continue;
            }
            expect(']');
            return list;
        }
    }

    /** A string of printable ASCII without escapes; anything else goes to Jackson. */
    private String string() throws NotPlain {
        int start = ++at;
        while (at < text.length) {
            byte b = text[at];
            if (b == '"') {
                String s = new String(text, start, at - start, java.nio.charset.StandardCharsets.ISO_8859_1);
                at++;
                return s;
            }
            if (b < 0x20 || b == '\\' || b == 0x7F) { // control, escape, or (negative) non-ASCII
                throw NotPlain.INSTANCE;
            }
            at++;
        }
        throw NotPlain.INSTANCE;
    }

    private void literal(String word) throws NotPlain {
        int end = at + word.length();
        if (end > text.length) {
            throw NotPlain.INSTANCE;
        }
        for (int i = 0; i < word.length(); i++) {
            if (text[at + i] != word.charAt(i)) {
                throw NotPlain.INSTANCE;
            }
        }
        at = end;
        requireDelimiter();
    }

    /** JSON's number grammar exactly (no leading zeros, no '+', no bare '.'), as BigInteger or BigDecimal. */
    private Object number() throws NotPlain {
        int start = at;
        boolean integer = true;
        if (at < text.length && text[at] == '-') {
            at++;
        }
        if (at < text.length && text[at] == '0') {
            at++;
        } else if (!digits()) {
            throw NotPlain.INSTANCE;
        }
        if (at < text.length && text[at] == '.') {
            at++;
            integer = false;
            if (!digits()) {
                throw NotPlain.INSTANCE;
            }
        }
        if (at < text.length && (text[at] == 'e' || text[at] == 'E')) {
            at++;
            integer = false;
            if (at < text.length && (text[at] == '+' || text[at] == '-')) {
                at++;
            }
            if (!digits()) {
                throw NotPlain.INSTANCE;
            }
        }
        if (at - start > MAX_NUMBER_DIGITS) {
            throw NotPlain.INSTANCE;
        }
        requireDelimiter();
        String number = new String(text, start, at - start, java.nio.charset.StandardCharsets.ISO_8859_1);
        return integer ? new BigInteger(number) : new BigDecimal(number);
    }

    private boolean digits() {
        int start = at;
        while (at < text.length && text[at] >= '0' && text[at] <= '9') {
            at++;
        }
        return at > start;
    }

    /** After a number or a keyword: the end, white space, or what may follow a value. */
    private void requireDelimiter() throws NotPlain {
        if (at < text.length) {
            byte b = text[at];
            if (!(isWhite(b) || b == ',' || b == '}' || b == ']')) {
                throw NotPlain.INSTANCE;
            }
        }
    }

    private void expect(char c) throws NotPlain {
        if (at >= text.length || text[at] != c) {
            throw NotPlain.INSTANCE;
        }
        at++;
    }

    private void skipWhite() {
        while (at < text.length && isWhite(text[at])) {
            at++;
        }
    }

    private static boolean isWhite(byte b) {
        return b == ' ' || b == '\n' || b == '\r' || b == '\t';
    }
}
