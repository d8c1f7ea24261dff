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

    private static final String FROZEN = "the agent is in frozen state";

    /** A registry that knows the commands of the invoker above (and no others). */
    private static org.guestagent.api.runtime.CommandRegistry knowing(String... names) {
        return new org.guestagent.api.runtime.CommandRegistry() {
            @Override
            public List<CommandInfo> commands() {
                return commands("qga");
            }

            @Override
            public List<CommandInfo> commands(String protocol) {
                return java.util.Arrays.stream(names).map(n -> new CommandInfo(n, "b", 0, null, false, List.of(protocol), false)).toList();
            }

            @Override
            public List<CommandRun> runs() {
                return List.of();
            }

            @Override
            public CommandResult invoke(String name, CommandArgument argument, org.guestagent.api.command.CommandContext context) {
                throw new UnsupportedOperationException();
            }
        };
    }

    private String handle(String body, Session session) {
        return new String(parser.handle(new RawRequest("r1", body.getBytes(StandardCharsets.UTF_8)), invoker, session),
                StandardCharsets.ISO_8859_1);
    }

    @Test
    void aGateDisablesAllButItsExceptionsWithItsReasonUntilItGoes() {
        parser.registry(knowing("echo", "text", "fail", "guest-sync-delimited"));
        QgaParser.Gate frozen = QgaParser.gate(FROZEN, "guest-sync-delimited", "guest-ping");
        parser.gateAdded(frozen);
        assertEquals("{\"error\":{\"class\":\"CommandNotFound\",\"desc\":\"Command echo has been disabled: " + FROZEN + "\"},\"id\":\"x\"}\n",
                handle("{\"execute\":\"echo\",\"id\":\"x\"}"));
        assertEquals("{\"error\":{\"class\":\"CommandNotFound\",\"desc\":\"Command fail has been disabled: " + FROZEN + "\"}}\n",
                handle("{\"execute\":\"fail\",\"arguments\":{\"bad\":1}}"), "disabled before its arguments are looked at");
        assertEquals("\u00ff{\"return\":{}}\n", handle("{\"execute\":\"guest-sync-delimited\"}"), "an exception runs");
        assertEquals("{\"error\":{\"class\":\"CommandNotFound\",\"desc\":\"The command nope has not been found\"}}\n",
                handle("{\"execute\":\"nope\"}"), "an unknown name is not found, frozen or not");
        assertEquals(List.of("guest-sync-delimited {} qga", "nope {} qga"), calls, "no disabled command ran");
        parser.gateRemoved(frozen);
        assertEquals("{\"return\":{}}\n", handle("{\"execute\":\"echo\"}"));
    }

    @Test
    void aGateAndTheBlockListTogether() {
        parser.registry(knowing("echo", "text", "guest-sync-delimited"));
        parser.configure(config(new String[] {"echo,guest-sync-delimited"}, new String[0]));
        QgaParser.Gate frozen = QgaParser.gate(FROZEN, "guest-sync-delimited");
        parser.gateAdded(frozen);
        // qemu-ga 7.2: the freeze gives its reason to a blocked command it disables; one it lets
        // through stays blocked without a reason
        assertEquals("{\"error\":{\"class\":\"CommandNotFound\",\"desc\":\"Command echo has been disabled: " + FROZEN + "\"}}\n",
                handle("{\"execute\":\"echo\"}"));
        assertEquals("{\"error\":{\"class\":\"CommandNotFound\",\"desc\":\"Command guest-sync-delimited has been disabled\"}}\n",
                handle("{\"execute\":\"guest-sync-delimited\"}"));
        parser.configure(config(new String[] {"echo"}, new String[0]));
        assertEquals("{\"error\":{\"class\":\"CommandNotFound\",\"desc\":\"Command text has been disabled: " + FROZEN + "\"}}\n",
                handle("{\"execute\":\"text\"}"), "a new configuration keeps the gate");
        parser.gateRemoved(frozen);
        assertEquals("{\"error\":{\"class\":\"CommandNotFound\",\"desc\":\"Command echo has been disabled\"}}\n",
                handle("{\"execute\":\"echo\"}"), "after the gate, still blocked (without qemu-ga's stale reason)");
        assertEquals("{\"return\":\"1.0.0 beta\"}\n", handle("{\"execute\":\"text\"}"));
        assertEquals("{\"error\":{\"class\":\"CommandNotFound\",\"desc\":\"The command nope has not been found\"}}\n",
                handle("{\"execute\":\"nope\"}"));
    }

    @Test
    void anUnknownBlockedNameIsNotFound() {
        parser.registry(knowing("echo"));
        parser.configure(config(new String[] {"nope"}, new String[] {"echo"}));
        assertEquals("{\"error\":{\"class\":\"CommandNotFound\",\"desc\":\"The command nope has not been found\"}}\n",
                handle("{\"execute\":\"nope\"}"));
        assertEquals("{\"error\":{\"class\":\"CommandNotFound\",\"desc\":\"The command other has not been found\"}}\n",
                handle("{\"execute\":\"other\"}"));
    }

    @Test
    void theSessionToldToGuestInfoFollowsTheGate() {
        Map<String, Object> values = new java.util.HashMap<>();
        Session session = new Session() {
            public String name() { return "test"; }
            public <T> T get(String key, Class<T> type) { return type.cast(values.get(key)); }
            public void put(String key, Object value) { values.put(key, value); }
            public void remove(String key) { values.remove(key); }
            public <T> T computeIfAbsent(String key, Class<T> type, java.util.function.Supplier<T> creator) {
                return type.cast(values.computeIfAbsent(key, k -> creator.get()));
            }
        };
        QgaParser.Gate frozen = QgaParser.gate(FROZEN, "echo");
        parser.gateAdded(frozen);
        handle("{\"execute\":\"echo\"}", session);
        @SuppressWarnings("unchecked")
        java.util.function.Predicate<String> disabled = session.get(QgaParser.DISABLED_SESSION_KEY, java.util.function.Predicate.class);
        assertEquals(List.of(false, true), List.of(disabled.test("echo"), disabled.test("text")));
        parser.gateRemoved(frozen);
        handle("{\"execute\":\"echo\"}", session);
        @SuppressWarnings("unchecked")
        java.util.function.Predicate<String> after = session.get(QgaParser.DISABLED_SESSION_KEY, java.util.function.Predicate.class);
        assertEquals(false, after.test("text"));
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
