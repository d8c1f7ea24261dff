package org.guestagent.platform.handles;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileHandleTest {
    @TempDir
    Path dir;

    @Test
    void linksAreNeverFollowedByNames() throws IOException {
        Path outside = Files.createDirectory(dir.resolve("outside"));
        Path victim = Files.writeString(outside.resolve("victim"), "untouched");
        Files.createSymbolicLink(dir.resolve("folder-link"), outside);
        Files.createSymbolicLink(dir.resolve("file-link"), victim);
        try (FileHandle folder = FileHandle.openFolder(dir)) {
            FileSystemException e = assertThrows(FileSystemException.class, () -> folder.folder("folder-link"));
            assertEquals("is a symbolic link", e.getReason());
            assertThrows(FileSystemException.class, () -> folder.openToRead("file-link"));
            assertThrows(FileSystemException.class, () -> folder.openToAppend("file-link", 0600));
            assertThrows(FileAlreadyExistsException.class, () -> folder.createNew("file-link", 0600));
            assertTrue(folder.attributes("file-link").isLink());
            assertEquals(victim.toString(), folder.readLink("file-link"));
            folder.delete("file-link");
            assertNull(folder.attributes("file-link"));
        }
        assertEquals("untouched", Files.readString(victim));
    }

    @Test
    void filesAreWrittenRenamedAndGivenTheirModeThroughHandles() throws IOException {
        try (FileHandle folder = FileHandle.openFolder(dir)) {
            folder.createFolder("sub", 0700);
            try (FileHandle sub = folder.folder("sub")) {
                sub.setMode(0751);
                try (FileHandle file = sub.createNew(".f.tmp", 0600)) {
                    file.write("content".getBytes(StandardCharsets.UTF_8));
                    file.setMode(04640);
                    file.sync();
                }
                sub.rename(".f.tmp", sub, "f");
                sub.hardLink("f", folder, "g");
                assertEquals(List.of("f"), sub.names());
                try (FileHandle read = sub.openToRead("f")) {
                    assertArrayEquals("content".getBytes(StandardCharsets.UTF_8), read.readAll());
                }
                assertEquals(0751, sub.attributes().permissions());
                assertTrue(sub.attributes().isFolder());
            }
        }
        assertEquals(04640, (Integer) Files.getAttribute(dir.resolve("sub/f"), "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777);
        assertEquals("content", Files.readString(dir.resolve("g")));
    }
}
