package org.guestagent.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The recorded actions log is the agent's own file below an untrusted root: never through a link. */
class RecordedActionsLogTest {

    @TempDir
    Path scratch;

    @Test
    void theLogIsAppendedBelowTheRoot() throws IOException {
        Path root = Files.createDirectory(scratch.resolve("root"));
        RecordingSystemActions actions = new RecordingSystemActions(root, RecordingSystemActions.LOG_PATH);
        actions.setHostname("web1");
        actions.setHostname("web2");
        Path log = root.resolve(RecordingSystemActions.LOG_PATH);
        assertEquals("sethostname web1\nsethostname web2\n", Files.readString(log));
        assertEquals(0600, FileStager.modeOf(log));
    }

    @Test
    void aLinkAtTheLogOrAnyOfItsFoldersIsRefusedAndNothingOutsideChanges() throws IOException {
        Path outside = Files.createDirectory(scratch.resolve("outside"));
        Path victim = Files.writeString(outside.resolve("victim"), "untouched\n");
        int outsideMode = FileStager.modeOf(outside);
        for (String planted : List.of("var", "var/lib/guest-agent", RecordingSystemActions.LOG_PATH)) {
            Path root = Files.createDirectory(scratch.resolve("root-" + planted.replace('/', '-')));
            Path link = root.resolve(planted);
            Files.createDirectories(link.getParent());
            Files.createSymbolicLink(link, planted.endsWith(".log") ? victim : outside);

            RecordingSystemActions actions = new RecordingSystemActions(root, RecordingSystemActions.LOG_PATH);
            IOException e = assertThrows(IOException.class, () -> actions.setHostname("web1"), planted);

            assertTrue(e.getMessage().contains("is a symbolic link"), e.getMessage());
            assertEquals("untouched\n", Files.readString(victim));
            try (var names = Files.list(outside)) {
                assertEquals(List.of(victim), names.toList(), "nothing made outside the root");
            }
            assertTrue(Files.isSymbolicLink(link));
            assertEquals(outsideMode, FileStager.modeOf(outside));
        }
    }
}
