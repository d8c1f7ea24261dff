package org.guestagent.parser.novajson;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import org.guestagent.api.command.CommandArgument;
import org.guestagent.api.command.CommandException;
import org.guestagent.api.transport.CommandInvoker;
import org.guestagent.api.command.CommandResult;
import org.guestagent.api.transport.NoSuchCommandException;
import org.guestagent.api.transport.RawRequest;
import org.guestagent.api.command.Session;
import org.junit.jupiter.api.Test;

class NovaJsonParserTest {
    private final NovaJsonParser parser = new NovaJsonParser();
    private final List<String> calls = new ArrayList<>();
    private final List<CommandArgument> arguments = new ArrayList<>();

    /** Knows "echo" (answers its argument), "fail" (a CommandException) and "keyinit" (code D0). */
    private final CommandInvoker invoker = (name, argument, context) -> {
        calls.add(name + "@" + context.requestId());
        arguments.add(argument);
        switch (name) {
            case "echo": return CommandResult.ok(String.valueOf(argument.asText()));
            case "fail": throw new CommandException("it broke");
            case "keyinit": return CommandResult.ok("12345").withDetail("D0");
            case "invalid": throw new CommandException(CommandResult.Status.INVALID_ARGUMENT, "expected a number");
            default: throw new NoSuchCommandException(name);
        }
    };

    private String handle(String body) {
        return handle(body.getBytes(StandardCharsets.UTF_8));
    }

    private String handle(byte[] body) {
        return new String(parser.handle(new RawRequest("req-1", body), invoker, new NoSession()), StandardCharsets.UTF_8);
    }

    @Test
    void answersInTheHostsFormWithStringFields() {
        assertEquals("{\"returncode\":\"0\",\"message\":\"hi\"}", handle("{\"name\": \"echo\", \"value\": \"hi\"}"));
        assertEquals("{\"returncode\":\"D0\",\"message\":\"12345\"}", handle("{\"name\": \"keyinit\", \"value\": \"5\"}"));
        assertEquals(List.of("echo@req-1", "keyinit@req-1"), calls);
    }

    @Test
    void errorTextsAreThoseOfTheProtocol() {
        assertEquals("{\"returncode\":\"500\",\"message\":\"Internal error with request\"}", handle(""));
        assertEquals("{\"returncode\":\"500\",\"message\":\"Request is malformed\"}", handle("{not json"));
        assertEquals("{\"returncode\":\"500\",\"message\":\"Request is malformed\"}", handle("[1, 2]"));
        assertEquals("{\"returncode\":\"500\",\"message\":\"Request is malformed\"}",
                handle(new byte[] {'"', (byte) 0xFF, '"'}));
        assertEquals("{\"returncode\":\"500\",\"message\":\"Request is missing 'name' key\"}", handle("{\"value\": 1}"));
        assertEquals("{\"returncode\":\"404\",\"message\":\"No such agent command 'nope'\"}",
                handle("{\"name\": \"nope\", \"value\": \"\"}"));
        assertEquals("{\"returncode\":\"500\",\"message\":\"it broke\"}", handle("{\"name\": \"fail\"}"));
    }

    @Test
    void deepOrTrailingGarbageIsMalformedNotAnException() {
        String deep = "[".repeat(5000) + "]".repeat(5000);
        assertEquals("{\"returncode\":\"500\",\"message\":\"Request is malformed\"}",
                handle("{\"name\": \"echo\", \"value\": " + deep + "}"));
        assertEquals("{\"returncode\":\"500\",\"message\":\"Request is malformed\"}", handle("{\"name\": \"echo\"} trailing"));
    }

    @Test
    void namesThatAreNotStringsAreReadAsTheirJsonText() {
        assertEquals("{\"returncode\":\"404\",\"message\":\"No such agent command 'null'\"}", handle("{\"name\": null}"));
        assertEquals("{\"returncode\":\"404\",\"message\":\"No such agent command '12'\"}", handle("{\"name\": 12}"));
        assertEquals("{\"returncode\":\"404\",\"message\":\"No such agent command '1.5'\"}", handle("{\"name\": 1.5}"));
        assertEquals("{\"returncode\":\"500\",\"message\":\"Request is malformed\"}", handle("{\"name\": [\"echo\"]}"));
        assertEquals("{\"returncode\":\"500\",\"message\":\"Request is malformed\"}", handle("   "));
        assertEquals("{\"returncode\":\"500\",\"message\":\"Request is malformed\"}", handle("{\"name\": \"echo\""));
    }

    @Test
    void aRepeatedKeyKeepsItsLastValue() {
        assertEquals("{\"returncode\":\"0\",\"message\":\"b\"}", handle("{\"name\": \"x\", \"value\": \"a\", \"name\": \"echo\", \"value\": \"b\"}"));
    }

    @Test
    void argumentsKeepTheirKind() {
        handle("{\"name\": \"echo\", \"value\": 162259276829213363391578010288127}");
        handle("{\"name\": \"echo\", \"value\": {\"url\": \"http://x\", \"md5sum\": \"ab\"}}");
        handle("{\"name\": \"echo\"}");
        assertEquals(new BigInteger("162259276829213363391578010288127"), arguments.get(0).number());
        assertEquals(Map.of("url", "http://x", "md5sum", "ab"), arguments.get(1).object());
        assertEquals("", arguments.get(2).text());
        handle("{\"name\": \"echo\", \"value\": [1.5, true, null, \"s\"]}");
        assertEquals(java.util.Arrays.asList(new java.math.BigDecimal("1.5"), true, null, "s"), arguments.get(3).list());
    }

    @Test
    void neutralStatusesBecomeNovaCodes() {
        assertEquals("{\"returncode\":\"500\",\"message\":\"expected a number\"}", handle("{\"name\": \"invalid\"}"));
        assertEquals("{\"returncode\":\"D0\",\"message\":\"12345\"}", handle("{\"name\": \"keyinit\"}"));
        assertEquals("{\"returncode\":\"404\",\"message\":\"No such agent command 'nope'\"}", handle("{\"name\": \"nope\"}"));
    }

    @Test
    void answersArePrintableAsciiWithQuotesBackslashesAndNonAsciiAsUnicodeEscapes() throws Exception {
        assertEquals("{\"returncode\":\"0\",\"message\":\"a \\u0022q\\u0022 \\u005C \\u00E9\"}",
                handle("{\"name\": \"echo\", \"value\": \"a \\\"q\\\" \\\\ é\"}"));
        String message = "\"/café\" \\ tab\t nl\n del\u007f nul\u0000 € 😀 'single' <>&";
        byte[] answer = NovaJsonParser.encode(CommandResult.failed(message));
        for (byte b : answer) {
            assertTrue(b >= 0x20 && b < 0x7f, "printable ASCII only: " + new String(answer, StandardCharsets.US_ASCII));
        }
        String text = new String(answer, StandardCharsets.US_ASCII);
        assertFalse(text.contains("\\\""), "no backslash-quote: " + text);
        assertFalse(text.contains("\\\\"), "no backslash-backslash: " + text);
        assertEquals(Map.of("returncode", "500", "message", message), NovaJsonParser.readDocument(text), "still the same JSON");
    }

    /** The parser never needs session state itself. */
    private static final class NoSession implements Session {
        @Override public String name() { return "test"; }
        @Override public <T> T get(String key, Class<T> type) { return null; }
        @Override public void put(String key, Object value) { }
        @Override public void remove(String key) { }
        @Override public <T> T computeIfAbsent(String key, Class<T> type, Supplier<T> creator) { return creator.get(); }
    }

}
