package org.guestagent.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OwnFilesTest {
    @TempDir
    Path scratch;
    Path root;
    Path outside;
    OwnFiles own;

    @BeforeEach
    void setUp() throws IOException {
        root = Files.createDirectory(scratch.resolve("root"));
        outside = Files.createDirectory(scratch.resolve("outside"));
        Files.writeString(outside.resolve("victim"), "untouched\n");
        Files.createDirectories(outside.resolve("folder/sub"));
        Files.writeString(outside.resolve("folder/sub/kept"), "kept\n");
        own = new OwnFiles(root);
    }

    @Test
    void writesReplacesAndAppendsBelowTheRoot() throws IOException {
        Path pid = root.resolve("run/guest-agent/guest-agent.pid");
        PidFile.write(own, pid, 42);
        PidFile.write(own, pid, 43);
        assertEquals("43\n", Files.readString(pid));
        assertEquals(List.of("guest-agent.pid"), names(pid.getParent()));
        Path log = root.resolve("var/log/guest-agent.log");
        append(log, "one\n");
        append(log, "two\n");
        assertEquals("one\ntwo\n", Files.readString(log));
        PidFile.remove(own, pid, 43);
        assertFalse(Files.exists(pid));
    }

    @Test
    void aLinkAtAnyOwnPathIsRefusedAndNothingOutsideChanges() throws IOException {
        Map<String, String> before = snapshot(outside);
        for (String planted : List.of("run", "run/guest-agent", "run/guest-agent/guest-agent.pid",
                "run/guest-agent/guest-agent.pid.tmp", "var/log/guest-agent.log", "var/lib/guest-agent/felix-cache")) {
            Path link = root.resolve(planted);
            Files.createDirectories(link.getParent());
            Files.createSymbolicLink(link, planted.endsWith("tmp") || planted.endsWith(".pid") || planted.endsWith(".log")
                    ? outside.resolve("victim") : outside.resolve("folder"));

            IOException e = assertThrows(IOException.class, () -> {
                PidFile.write(own, root.resolve("run/guest-agent/guest-agent.pid"), 7);
                append(root.resolve("var/log/guest-agent.log"), "line\n");
                own.deleteTree(root.resolve("var/lib/guest-agent/felix-cache"));
            }, planted);
            assertTrue(e.getMessage().contains(link + ": " + OwnFiles.LINK_REFUSED), e.getMessage());
            assertEquals(before, snapshot(outside), "after a link at " + planted);
            Files.delete(link);
        }
    }

    @Test
    void theBundleCacheIsEmptiedByHandlesALinkInsideIsRemovedNotFollowed() throws IOException {
        Path cache = Files.createDirectories(root.resolve("var/lib/guest-agent/felix-cache/bundle1"));
        Files.writeString(cache.resolve("data"), "x");
        Files.createSymbolicLink(cache.resolve("planted"), outside.resolve("folder"));
        Map<String, String> before = snapshot(outside);

        own.deleteTree(root.resolve("var/lib/guest-agent/felix-cache"));

        assertEquals(List.of(), names(root.resolve("var/lib/guest-agent")));
        assertEquals(before, snapshot(outside));
    }

    @Test
    void outsideARootOnlyTheFileItselfIsChecked() throws IOException {
        OwnFiles system = new OwnFiles(null);
        Path linkedFolder = Files.createSymbolicLink(scratch.resolve("linked"), outside.resolve("folder"));
        PidFile.write(system, linkedFolder.resolve("agent.pid"), 5); // the administrator's folder is trusted
        assertEquals("5\n", Files.readString(outside.resolve("folder/agent.pid")));
        Files.createSymbolicLink(scratch.resolve("agent.pid"), outside.resolve("victim"));
        assertThrows(IOException.class, () -> PidFile.write(system, scratch.resolve("agent.pid"), 6));
        assertEquals("untouched\n", Files.readString(outside.resolve("victim")));
    }

    @Test
    void theReadyFileIsWrittenInPlaceNeverThroughALink() throws IOException {
        OwnFiles system = new OwnFiles(null);
        Path ready = Files.createFile(scratch.resolve("guest-agent-ready.x1"));
        system.overwrite(ready, "12\n");
        assertEquals("12\n", Files.readString(ready));
        assertEquals(List.of("guest-agent-ready.x1", "outside", "root"), names(scratch), "no .tmp beside it");
        Path planted = Files.createSymbolicLink(scratch.resolve("guest-agent-ready.x2"), outside.resolve("victim"));
        IOException e = assertThrows(IOException.class, () -> system.overwrite(planted, "13\n"));
        assertTrue(e.getMessage().contains(OwnFiles.LINK_REFUSED), e.getMessage());
        assertEquals("untouched\n", Files.readString(outside.resolve("victim")));
    }

    private void append(Path file, String text) throws IOException {
        try (SeekableByteChannel out = own.append(file, "rw-r--r--")) {
            out.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
        }
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static Map<String, String> snapshot(Path folder) throws IOException {
        Map<String, String> result = new TreeMap<>();
        try (Stream<Path> all = Files.walk(folder)) {
            for (Path path : all.toList()) {
                Object mode = Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
                String content = Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS) ? Files.readString(path) : "";
                result.put(folder.relativize(path).toString(), mode + " " + content);
            }
        }
        return result;
    }
}
