package org.guestagent.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.guestagent.api.system.SystemActions;
import org.guestagent.api.system.SystemActions.ExecResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SystemActionsTest {

    @TempDir
    Path root;

    @Test
    void recordingWritesEachActionAsOneLineInMemoryAndInTheLog() throws IOException {
        SystemActions actions = SystemActionsService.choose("auto", root, () -> null);
        assertTrue(actions.isRecording());

        actions.setHostname("web1");
        ExecResult result = actions.run(List.of("systemctl", "restart", "networking"),
                "secret input".getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(5));

        assertTrue(result.ok());
        List<String> expected = List.of("sethostname web1", "run systemctl restart networking");
        assertEquals(expected, actions.recorded());
        assertEquals(expected, Files.readAllLines(root.resolve("var/lib/guest-agent/actions.log")));
    }

    @Test
    void modeChoosesTheImplementation() {
        assertFalse(SystemActionsService.choose("auto", Path.of("/"), () -> null).isRecording());
        assertTrue(SystemActionsService.choose("recording", Path.of("/"), () -> null).isRecording());
        assertFalse(SystemActionsService.choose("real", root, () -> null).isRecording());
        assertThrows(IllegalArgumentException.class, () -> SystemActionsService.choose("maybe", root, () -> null));
    }

    @Test
    void realRunPassesInputAndReturnsOutputsAndExitCode() throws IOException {
        SystemActions actions = new RealSystemActions(() -> null);
        ExecResult result = actions.run(List.of("sh", "-c", "cat; echo oops >&2; exit 3"),
                "in".getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(30));
        assertEquals(new ExecResult(3, "in", "oops\n"), result);
    }

    @Test
    void realRunStopsAProgramThatOverrunsItsTimeout() {
        SystemActions actions = new RealSystemActions(() -> null);
        IOException e = assertThrows(IOException.class,
                () -> actions.run(List.of("sleep", "60"), null, Duration.ofMillis(200)));
        assertTrue(e.getMessage().contains("did not finish"), e.getMessage());
    }

    @Test
    void recordingHidesSecretOptionValues() throws Exception {
        RecordingSystemActions actions = new RecordingSystemActions(null);
        actions.run(List.of("subscription-manager", "register", "--activationkey=s3cr3t", "--org=acme"),
                null, Duration.ofSeconds(1));
        assertEquals(
                List.of("run subscription-manager register --activationkey=<redacted> --org=acme"),
                actions.recorded());
    }
}
