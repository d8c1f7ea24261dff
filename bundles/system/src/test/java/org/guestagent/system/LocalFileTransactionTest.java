package org.guestagent.system;

import static org.guestagent.system.LocalGuestFilesTest.bytes;
import static org.guestagent.system.LocalGuestFilesTest.names;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.guestagent.api.system.FileTransaction;
import org.guestagent.api.system.WriteOptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalFileTransactionTest {

    @TempDir
    Path root;
    LocalGuestFiles files;
    Path etc;

    @BeforeEach
    void setUp() throws IOException {
        files = new LocalGuestFiles(root);
        etc = Files.createDirectory(files.root().resolve("etc"));
        Files.writeString(etc.resolve("a"), "old a");
        Files.writeString(etc.resolve("gone"), "old gone");
    }

    @Test
    void commitLandsEveryChangeAndKeepsBackupsWhenAsked() throws IOException {
        try (FileTransaction tx = files.begin()) {
            tx.write("/etc/a", bytes("new a"), WriteOptions.DEFAULT.withBackups(1));
            tx.write("/etc/b", bytes("new b"), WriteOptions.mode(0600));
            tx.delete("/etc/gone");
            assertEquals("old a", Files.readString(etc.resolve("a")), "nothing lands before commit");
            assertFalse(Files.exists(etc.resolve("b")));
            tx.commit();
        }
        assertEquals("new a", Files.readString(etc.resolve("a")));
        assertEquals("new b", Files.readString(etc.resolve("b")));
        assertEquals(0600, FileStager.modeOf(etc.resolve("b")));
        List<String> names = names(etc);
        assertEquals(3, names.size(), names.toString());
        String backup = names.stream().filter(n -> n.startsWith("a.bak.")).findFirst().orElseThrow();
        assertEquals("old a", Files.readString(etc.resolve(backup)));
        assertFalse(names.contains("gone"));
    }

    @Test
    void failedRenamePutsThePreviousSetBack() throws IOException {
        Path folder = Files.createDirectory(etc.resolve("c"));
        Files.writeString(folder.resolve("inside"), "keep");

        FileTransaction tx = files.begin();
        tx.write("/etc/a", bytes("new a"), WriteOptions.DEFAULT.withBackups(1));
        tx.write("/etc/b", bytes("new b"), WriteOptions.DEFAULT);
        tx.delete("/etc/gone");
        tx.write("/etc/c", bytes("cannot replace a folder"), WriteOptions.DEFAULT);
        assertThrows(IOException.class, tx::commit);
        tx.close();

        assertEquals("old a", Files.readString(etc.resolve("a")));
        assertEquals("old gone", Files.readString(etc.resolve("gone")));
        assertFalse(Files.exists(etc.resolve("b")));
        assertEquals("keep", Files.readString(folder.resolve("inside")));
        assertEquals(List.of("a", "c", "gone"), names(etc), "no temporary or kept file is left");
    }

    @Test
    void closeWithoutCommitDiscardsTheStagedFiles() throws IOException {
        try (FileTransaction tx = files.begin()) {
            tx.write("/etc/a", bytes("new a"), WriteOptions.DEFAULT);
            tx.write("/etc/b", bytes("new b"), WriteOptions.DEFAULT);
            assertTrue(names(etc).stream().anyMatch(n -> n.startsWith(".a.tmp.")));
        }
        assertEquals("old a", Files.readString(etc.resolve("a")));
        assertEquals(List.of("a", "gone"), names(etc));
    }

    @Test
    void aFinishedTransactionTakesNoMoreChanges() throws IOException {
        FileTransaction tx = files.begin();
        tx.commit();
        assertThrows(IllegalStateException.class, () -> tx.write("/etc/a", bytes("x"), WriteOptions.DEFAULT));
    }
}
