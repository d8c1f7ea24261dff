package org.guestagent.commands.qga;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.guestagent.api.command.CommandArgument;
import org.guestagent.api.command.CommandContext;
import org.guestagent.api.command.CommandException;
import org.guestagent.system.RealSystemActions;
import org.guestagent.system.RecordingSystemActions;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

/** guest-exec/-status against real programs (through the real system actions) and a recording seam. */
class QgaExecCommandsTest {
    private final QgaExecCommands commands = new QgaExecCommands(new RealSystemActions(() -> null));
    private static final CommandContext CONTEXT = CommandContext.of("t", null);

    private static Map<String, Object> args(Object... pairs) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            m.put((String) pairs[i], pairs[i + 1] instanceof Integer n ? BigInteger.valueOf(n) : pairs[i + 1]);
        }
        return m;
    }

    /** A flat JSON object's members as text (numbers and booleans as their JSON text). */
    static Map<String, String> members(String json) throws Exception {
        Map<String, String> members = new LinkedHashMap<>();
        JsonFactory factory = JsonFactory.builder()
                .streamReadConstraints(com.fasterxml.jackson.core.StreamReadConstraints.builder().maxStringLength(64 << 20).build()).build();
        try (JsonParser parser = factory.createParser(json)) {
            assertEquals(JsonToken.START_OBJECT, parser.nextToken());
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                parser.nextToken();
                members.put(name, parser.getText());
            }
        }
        return members;
    }

    private long start(Object... pairs) throws Exception {
        return Long.parseLong(members(commands.exec(CommandArgument.of(args(pairs)), CONTEXT)).get("pid"));
    }

    /** Asks for the status until the program has ended (a generous bound), then returns it. */
    private Map<String, String> ended(long pid) throws Exception {
        return ended(commands, pid);
    }

    private static Map<String, String> ended(QgaExecCommands commands, long pid) throws Exception {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (true) {
            Map<String, String> status = members(commands.status(CommandArgument.of(args("pid", BigInteger.valueOf(pid)))));
            if (status.get("exited").equals("true")) {
                return status;
            }
            assertEquals(Map.of("exited", "false"), status, "a running program's status");
            assertTrue(System.nanoTime() < deadline, "pid " + pid + " did not end within 60 s");
            Thread.sleep(50);
        }
    }

    private static String text(String base64) {
        return new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
    }

    @Test
    void capturesOutputErrorAndExitCode() throws Exception {
        Map<String, String> status = ended(start("path", "sh", "arg", List.of("-c", "echo out; echo err >&2; exit 3"),
                "capture-output", true));
        assertEquals("3", status.get("exitcode"));
        assertEquals("out\n", text(status.get("out-data")));
        assertEquals("err\n", text(status.get("err-data")));
        assertEquals("false", status.get("out-truncated"));
        assertEquals("false", status.get("err-truncated"));
        assertFalse(status.containsKey("signal"));
    }

    @Test
    void givesInputDataAndTheEnvironmentGiven() throws Exception {
        Map<String, String> status = ended(start("path", "sh", "arg", List.of("-c", "cat; echo \" $FOO\"; env | grep -c ="),
                "env", List.of("FOO=bar"), "input-data", Base64.getEncoder().encodeToString("hello".getBytes()),
                "capture-output", true));
        // sh adds PWD to the environment it was given: FOO and PWD, nothing of the agent's
        assertEquals("hello bar\n2\n", text(status.get("out-data")));
        assertEquals("0", status.get("exitcode"));
        assertFalse(status.containsKey("err-data"), "no error output, no err-data: " + status);
    }

    @Test
    void withoutCaptureThereIsNoData() throws Exception {
        Map<String, String> status = ended(start("path", "sh", "arg", List.of("-c", "echo hi; echo x >&2")));
        assertEquals(Map.of("exited", "true", "exitcode", "0"), status);
    }

    @Test
    void aSignalIsReportedAsSignal() throws Exception {
        Map<String, String> status = ended(start("path", "sh", "arg", List.of("-c", "kill -9 $$"), "capture-output", true));
        assertEquals(Map.of("exited", "true", "signal", "9"), status);
    }

    @Test
    void outputBeyond16MiBIsTruncated() throws Exception {
        Map<String, String> status = ended(start("path", "head", "arg", List.of("-c", "17000000", "/dev/zero"),
                "capture-output", true));
        assertEquals(QgaExecCommands.OUTPUT_MAX, Base64.getDecoder().decode(status.get("out-data")).length);
        assertEquals("true", status.get("out-truncated"));
    }

    @Test
    void aStatusIsGivenOnceThenThePidIsUnknown() throws Exception {
        long pid = start("path", "true");
        ended(pid);
        CommandException e = assertThrows(CommandException.class,
                () -> commands.status(CommandArgument.of(args("pid", BigInteger.valueOf(pid)))));
        assertEquals("Invalid parameter 'pid'", e.getMessage());
    }

    @Test
    void refusesAsQemuGa() {
        assertEquals("Guest agent command failed, error was 'Failed to execute child process \u201C/no/such\u201D (No such file or directory)'",
                assertThrows(CommandException.class, () -> start("path", "/no/such")).getMessage());
        assertEquals("Invalid parameter type for 'arg[1]', expected: string",
                assertThrows(CommandException.class, () -> start("path", "echo", "arg", List.of("a", BigInteger.ONE))).getMessage());
        assertEquals("Invalid parameter type for 'env', expected: array",
                assertThrows(CommandException.class, () -> start("path", "echo", "env", "A=1")).getMessage());
        assertEquals("Base64 data contains invalid characters",
                assertThrows(CommandException.class, () -> start("path", "echo", "input-data", "!!")).getMessage());
        assertEquals("Invalid parameter type for 'capture-output', expected: boolean",
                assertThrows(CommandException.class, () -> start("path", "echo", "capture-output", "merged")).getMessage());
    }

    @Test
    void underARecordingSeamTheProgramIsOnlyRecorded(@org.junit.jupiter.api.io.TempDir Path root) throws Exception {
        RecordingSystemActions recording = new RecordingSystemActions(root, RecordingSystemActions.LOG_PATH);
        QgaExecCommands recorded = new QgaExecCommands(recording);
        Map<String, String> started = members(recorded.exec(CommandArgument.of(args("path", "rm", "arg", List.of("-rf", "/x"),
                "capture-output", true)), CONTEXT));
        assertEquals(List.of("exec rm -rf /x"), recording.recorded());
        assertEquals(Map.of("exited", "true", "exitcode", "0"), ended(recorded, Long.parseLong(started.get("pid"))));
    }
}
