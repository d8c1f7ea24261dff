package org.guestagent.parser.qga;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The plain reader gives what Jackson gives, or leaves the document to Jackson; never another value, never an error of its own. */
class PlainJsonReaderTest {
    private static final Object BROKEN = new Object() {
        @Override
        public String toString() {
            return "<malformed>";
        }
    };

    private static final List<String> PLAIN = List.of(
            "{\"execute\":\"guest-ping\"}",
            " {\"execute\" : \"guest-sync\", \"arguments\": {\"id\": 1234567890123}, \"id\": -7}\n",
            "{\"execute\":\"guest-file-read\",\"arguments\":{\"handle\":1000,\"count\":4096}}",
            "{\"a\":[1,-0,2.5,-1e5,1E-3,0.0,true,false,null,[],{}],\"b\":{\"c\":[{\"d\":\"e\"}]}}",
            "{\"dup\":1,\"dup\":2}", "[]", "{}", "\"text\"", "42", "-0", "null", "true");

    private static final List<String> NOT_PLAIN_OR_BROKEN = List.of(
            "", " ", "{", "}", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "[1,]", "[1 2]", "{\"a\":1}x", "{} {}",
            "01", "1.", ".5", "+1", "-", "1e", "1e+", "tru", "truex", "nul", "NaN", "Infinity", "[true1]",
            "{a:1}", "{'a':1}", "\"unterminated", "\"tab\there\"", "\"esc\\\"aped\"", "\"\\u00e9\"",
            "\"caf\u00e9\"", "{\"k\":\"\u20ac\"}", "/* c */ {}", "{\"a\":1}//", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
                    + "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
            "1" + "0".repeat(200), "{\"execute\":\"guest-ping\"}\u0000");

    @Test
    void plainDocumentsReadAsJacksonReadsThem() throws Exception {
        for (String text : PLAIN) {
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            Object plain = PlainJsonReader.read(bytes);
            assertNotSame(PlainJsonReader.NOT_PLAIN, plain, "read without Jackson: " + text);
            assertEquals(jackson(bytes), plain, text);
        }
    }

    @Test
    void everythingElseIsLeftToJacksonNeverReadOtherwise() throws Exception {
        for (String text : NOT_PLAIN_OR_BROKEN) {
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            Object plain = PlainJsonReader.read(bytes);
            if (plain != PlainJsonReader.NOT_PLAIN) {
                assertEquals(jackson(bytes), plain, "read the plain way, it must be Jackson's value: " + text);
            }
            if (jackson(bytes) == BROKEN) {
                assertEquals(PlainJsonReader.NOT_PLAIN, plain, "a broken document is Jackson's to word: " + text);
            }
        }
    }

    @Test
    void theEmptyReturnIsWhatTheGeneratorWrites() {
        assertArrayEquals(QgaParser.answer(" { } ", null, false, false), QgaParser.answer("{}", null, false, false));
        assertEquals("{\"return\":{}}\n", new String(QgaParser.answer("{}", null, false, false), StandardCharsets.UTF_8));
        assertEquals("{\"return\":{},\"id\":5}\n", new String(QgaParser.answer("{}", new java.math.BigInteger("5"), true, false),
                StandardCharsets.UTF_8));
    }

    private static Object jackson(byte[] text) {
        try {
            return QgaParser.readWithJackson(text);
        } catch (QgaParser.Malformed e) {
            return BROKEN;
        }
    }
}
