package org.guestagent.parser.qga;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.guestagent.api.command.CommandArgument;
import org.guestagent.api.command.CommandException;
import org.guestagent.api.command.CommandResult;
import org.guestagent.api.command.Session;
import org.guestagent.api.transport.CommandInvoker;
import org.guestagent.api.transport.NoSuchCommandException;
import org.guestagent.api.transport.RawRequest;
import org.junit.jupiter.api.Test;

class QgaParserTest {
    private final QgaParser parser = new QgaParser();
    private final List<String> calls = new ArrayList<>();

    /** echo returns its arguments; fail fails; invalid refuses its argument; missing is not there. */
    private final CommandInvoker invoker = (name, argument, context) -> {
        calls.add(name + " " + argument + " " + context.protocol());
        return switch (name) {
            case "guest-shutdown" -> CommandResult.ok("{}");
            case "echo", "guest-sync-delimited" -> CommandResult.ok(argument.object().isEmpty() ? "" : "{\"got\":1}");
            case "text" -> CommandResult.ok("1.0.0 beta");
            case "fail" -> throw new CommandException("it broke");
            case "invalid" -> CommandResult.invalidArgument("Parameter 'x' is missing");
            case "disabled" -> new CommandResult(CommandResult.Status.NOT_FOUND, "Command disabled has been disabled", "CommandNotFound");
            default -> throw new NoSuchCommandException(name);
        };
    };

    private String handle(String body) {
        return new String(parser.handle(new RawRequest("r1", body.getBytes(StandardCharsets.UTF_8)), invoker, (Session) null),
                StandardCharsets.ISO_8859_1);
    }

    @Test
    void aResultIsTheReturnValueAndTheIdIsEchoed() {
        assertEquals("{\"return\":{}}\n", handle("{\"execute\":\"echo\"}"));
        assertEquals("{\"return\":{\"got\":1},\"id\":[1,{\"a\":null}]}\n",
                handle("{\"execute\":\"echo\",\"arguments\":{\"x\":true},\"id\":[1,{\"a\":null}]}"));
        assertEquals(List.of("echo {} qga", "echo {x=true} qga"), calls);
        assertEquals("{\"return\":\"1.0.0 beta\"}\n", handle("{\"execute\":\"text\"}"), "a message that is not JSON is a string");
    }

    @Test
    void syncDelimitedStartsWithTheDelimiter() {
        assertEquals("\u00ff{\"return\":{}}\n", handle("{\"execute\":\"guest-sync-delimited\"}"));
    }

    @Test
    void blockedAndNotAllowedCommandsAreDisabled() {
        parser.configure(config(new String[] {"echo,text"}, new String[0]));
        assertEquals("{\"id\":1,\"error\":{\"class\":\"CommandNotFound\",\"desc\":\"Command echo has been disabled\"}}\n"
                .replace("{\"id\":1,", "{").replace("disabled\"}}", "disabled\"},\"id\":1}"),
                handle("{\"execute\":\"echo\",\"id\":1}"));
        assertEquals(List.of(), calls, "a disabled command does not run");
        parser.configure(config(new String[0], new String[] {"echo"}));
        assertEquals("{\"return\":{}}\n", handle("{\"execute\":\"echo\"}"));
        assertEquals("{\"error\":{\"class\":\"CommandNotFound\",\"desc\":\"Command fail has been disabled\"}}\n",
                handle("{\"execute\":\"fail\"}"));
    }

    private static QgaParser.Config config(String[] block, String[] allow) {
        return new QgaParser.Config() {
            public Class<? extends java.lang.annotation.Annotation> annotationType() { return QgaParser.Config.class; }
            public String[] block_rpcs() { return block; }
            public String[] allow_rpcs() { return allow; }
        };
    }

    @Test
    void aSuccessfulShutdownIsNotAnswered() {
        assertEquals("", handle("{\"execute\":\"guest-shutdown\",\"id\":1}"));
    }

    @Test
    void statusesBecomeQgaErrors() {
        assertEquals("{\"error\":{\"class\":\"GenericError\",\"desc\":\"it broke\"},\"id\":7}\n", handle("{\"execute\":\"fail\",\"id\":7}"));
        assertEquals("{\"error\":{\"class\":\"GenericError\",\"desc\":\"Parameter 'x' is missing\"}}\n", handle("{\"execute\":\"invalid\"}"));
        assertEquals("{\"error\":{\"class\":\"CommandNotFound\",\"desc\":\"The command nope has not been found\"}}\n",
                handle("{\"execute\":\"nope\"}"));
        assertEquals("{\"error\":{\"class\":\"CommandNotFound\",\"desc\":\"Command disabled has been disabled\"}}\n",
                handle("{\"execute\":\"disabled\"}"));
    }

    @Test
    void badInputGetsQemuGasTexts() {
        Map<String, String> cases = Map.of(
                "[1]", "QMP input must be a JSON object",
                "{\"arguments\":{}}", "QMP input lacks member 'execute'",
                "{\"execute\":1}", "QMP input member 'execute' must be a string",
                "{\"execute\":\"echo\",\"arguments\":[]}", "QMP input member 'arguments' must be an object",
                "{\"execute\":\"echo\",\"x\":1}", "QMP input member 'x' is unexpected",
                "{\"a\":tru}", "JSON parse error, invalid keyword 'tru'",
                "}", "JSON parse error, expecting value",
                "{\"execute\":\"echo\",}", "JSON parse error, expecting value");
        cases.forEach((in, desc) -> assertEquals("{\"error\":{\"class\":\"GenericError\",\"desc\":\"" + desc + "\"}}\n", handle(in), in));
        assertEquals(List.of(), calls, "no command ran");
        assertEquals("{\"error\":{\"class\":\"GenericError\",\"desc\":\"JSON parse error, stray '\u00ef\u00bf\u00bd'\"}}\n",
                new String(parser.handle(new RawRequest("r", new byte[] {(byte) 0xFF}), invoker, null), StandardCharsets.ISO_8859_1));
    }
}
