package org.guestagent.system;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.guestagent.api.system.WriteOptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalGuestFilesTest {

    @TempDir
    Path scratch;
    Path root;
    LocalGuestFiles files;

    @BeforeEach
    void setUp() throws IOException {
        root = Files.createDirectory(scratch.resolve("root"));
        files = new LocalGuestFiles(root);
    }

    @Test
    void resolvesAbsolutePathsBelowTheRootOnly() {
        assertEquals(files.root().resolve("etc/a/c"), files.resolve("/etc/./a//b/../c"));
        assertEquals(files.root(), files.resolve("/"));
        assertThrows(IllegalArgumentException.class, () -> files.resolve("etc/passwd"));
        assertThrows(IllegalArgumentException.class, () -> files.resolve(""));
        assertThrows(IllegalArgumentException.class, () -> files.resolve("/etc/pass\0wd"));
        assertThrows(IllegalArgumentException.class, () -> files.resolve("/../etc/passwd"));
        assertThrows(IllegalArgumentException.class, () -> files.resolve("/etc/../../x"));
    }

    @Test
    void rootComesFromTheFrameworkPropertyFirst() {
        assertEquals("/scratch", LocalGuestFiles.chooseRoot("/scratch", "/configured"));
        assertEquals("/configured", LocalGuestFiles.chooseRoot(null, "/configured"));
        assertEquals("/", LocalGuestFiles.chooseRoot("", ""));
    }

    @Test
    void newFileGetsTheModeAndParentFolders() throws IOException {
        files.write("/etc/new/dir/conf", bytes("hello"), WriteOptions.mode(0600));

        Path written = root.resolve("etc/new/dir/conf");
        assertEquals("hello", Files.readString(written));
        assertEquals(0600, FileStager.modeOf(written));
        assertEquals(0755, FileStager.modeOf(root.resolve("etc/new")));
        assertEquals(0755, FileStager.modeOf(root.resolve("etc/new/dir")));
        if (FileStager.runningAsRoot()) {
            assertEquals(0, Files.getAttribute(written, "unix:uid"));
            assertEquals(0, Files.getAttribute(written, "unix:gid"));
        }
        assertEquals(List.of("conf"), names(root.resolve("etc/new/dir")));
    }

    @Test
    void replacingKeepsModeAndOwnerAndSwapsTheFileAtomically() throws IOException {
        Path target = Files.createDirectories(root.resolve("etc")).resolve("hosts");
        Files.writeString(target, "old");
        Files.setAttribute(target, "unix:mode", 0640);
        boolean root = FileStager.runningAsRoot();
        if (root) {
            Files.setAttribute(target, "unix:uid", 1234);
            Files.setAttribute(target, "unix:gid", 2345);
        }
        Object oldInode = Files.readAttributes(target, "unix:ino").get("ino");

        files.write("/etc/hosts", bytes("new"), WriteOptions.mode(0600));

        assertEquals("new", Files.readString(target));
        assertEquals(0640, FileStager.modeOf(target));
        assertNotEquals(oldInode, Files.readAttributes(target, "unix:ino").get("ino"));
        if (root) {
            assertEquals(1234, Files.getAttribute(target, "unix:uid"));
            assertEquals(2345, Files.getAttribute(target, "unix:gid"));
        }
        assertEquals(List.of("hosts"), names(target.getParent()));
    }

    @Test
    void forcedModeIsAppliedToAnExistingFile() throws IOException {
        Path target = root.resolve("shadow");
        Files.writeString(target, "old");
        Files.setAttribute(target, "unix:mode", 0644);

        files.write("/shadow", bytes("new"), WriteOptions.mode(0600).forced());

        assertEquals(0600, FileStager.modeOf(target));
    }

    @Test
    void symbolicLinkAtTheTargetIsReplacedNotFollowed() throws IOException {
        Path outside = Files.writeString(scratch.resolve("outside.txt"), "untouched");
        Path link = Files.createSymbolicLink(root.resolve("motd"), outside);

        files.write("/motd", bytes("replaced"), WriteOptions.DEFAULT);

        assertFalse(Files.isSymbolicLink(link));
        assertEquals("replaced", Files.readString(link));
        assertEquals("untouched", Files.readString(outside));
    }

    @Test
    void symbolicLinkedParentFolderLeadingOutsideIsRefused() throws IOException {
        Path outsideDir = Files.createDirectory(scratch.resolve("elsewhere"));
        Files.createSymbolicLink(root.resolve("etc"), outsideDir);

        assertThrows(IOException.class, () -> files.write("/etc/passwd", bytes("x"), WriteOptions.DEFAULT));
        assertEquals(List.of(), names(outsideDir));
    }

    @Test
    void aPathThroughALinkOutOfTheRootIsRefusedBeforeAnyFolderIsMade() throws IOException {
        Path outsideDir = Files.createDirectory(scratch.resolve("elsewhere"));
        Path srv = Files.createDirectories(root.resolve("srv"));
        Files.createSymbolicLink(srv.resolve("absolute"), outsideDir);
        Files.createSymbolicLink(srv.resolve("relative"), Path.of("../../elsewhere"));
        Files.createSymbolicLink(srv.resolve("missing"), Path.of("new/../../../elsewhere"));
        Files.createSymbolicLink(root.resolve("deep"), Path.of("srv/relative"));

        for (String path : List.of("/srv/absolute/a/b/file", "/srv/relative/a/b/file", "/srv/missing/a/b/file", "/deep/a/file")) {
            IOException e = assertThrows(IOException.class, () -> files.write(path, bytes("x"), WriteOptions.DEFAULT), path);
            assertTrue(e.getMessage().contains("outside the root folder") || e.getMessage().contains("missing folder"), e.getMessage());
        }
        // reads walk the same way: a link out of the root is not read through
        Files.createSymbolicLink(srv.resolve("shadow"), Files.writeString(scratch.resolve("secret"), "outside"));
        assertThrows(IOException.class, () -> files.readIfExists("/srv/shadow"));
        assertThrows(IOException.class, () -> files.readIfExists("/srv/relative/x"));
        Files.delete(srv.resolve("shadow"));
        assertEquals(List.of(), names(outsideDir));
        assertEquals(List.of("absolute", "missing", "relative"), names(srv));
        assertEquals(List.of("deep", "srv"), names(root));
    }

    @Test
    void aLinkOfTheRootInsideTheRootIsFollowedForReadsAndWrites() throws IOException {
        Files.createDirectories(root.resolve("var/roothome"));
        Files.createSymbolicLink(root.resolve("root"), Path.of("var/roothome"));
        Files.createSymbolicLink(root.resolve("motd"), root.resolve("var/roothome/motd").toAbsolutePath());

        files.write("/root/.ssh/authorized_keys", bytes("key"), WriteOptions.mode(0600).inPrivateFolder());

        assertEquals("key", Files.readString(root.resolve("var/roothome/.ssh/authorized_keys")));
        assertEquals(0700, FileStager.modeOf(root.resolve("var/roothome/.ssh")));
        files.write("/var/roothome/motd", bytes("hello"), WriteOptions.DEFAULT);
        assertArrayEquals(bytes("hello"), files.readIfExists("/motd"));
        assertNull(files.readIfExists("/root/missing/file"));
    }

    @Test
    void backupsKeepOnlyTheNewestPreviousVersions() throws IOException {
        for (int version = 1; version <= 4; version++) {
            files.write("/etc/conf", bytes("v" + version), WriteOptions.DEFAULT.withBackups(2));
        }
        Path dir = root.resolve("etc");
        List<String> backups = names(dir).stream().filter(n -> n.startsWith("conf.bak.")).toList();
        assertEquals(2, backups.size(), backups.toString());
        assertTrue(backups.stream().allMatch(n -> n.matches("conf\\.bak\\.\\d{17}")), backups.toString());
        assertEquals("v2", Files.readString(dir.resolve(backups.get(0))));
        assertEquals("v3", Files.readString(dir.resolve(backups.get(1))));
        assertEquals("v4", Files.readString(dir.resolve("conf")));
        assertEquals(3, names(dir).size());
    }

    @Test
    void noBackupUnlessAsked() throws IOException {
        files.write("/conf", bytes("a"), WriteOptions.DEFAULT);
        files.write("/conf", bytes("b"), WriteOptions.DEFAULT);
        assertEquals(List.of("conf"), names(root));
    }

    @Test
    void readsWhatExistsAndNullOtherwise() throws IOException {
        assertNull(files.readIfExists("/missing"));
        files.write("/present", new byte[] {0, 1, 2}, WriteOptions.DEFAULT);
        assertArrayEquals(new byte[] {0, 1, 2}, files.readIfExists("/present"));
    }

    @Test
    void writingOverAFolderFailsAndLeavesNoTemporaryFile() throws IOException {
        Files.createDirectories(root.resolve("etc/conf.d"));
        assertThrows(IOException.class, () -> files.write("/etc/conf.d", bytes("x"), WriteOptions.DEFAULT));
        assertEquals(List.of("conf.d"), names(root.resolve("etc")));
        assertTrue(Files.isDirectory(root.resolve("etc/conf.d"), LinkOption.NOFOLLOW_LINKS));
    }

    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    static List<String> names(Path dir) throws IOException {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void staleTempFilesOfAKilledWriteAreRemovedYoungOnesKept() throws IOException {
        Path etc = Files.createDirectories(root.resolve("etc"));
        Path stale = Files.writeString(etc.resolve(".shadow.tmp.dead1"), "root:old");
        Files.setLastModifiedTime(stale, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() - 3_600_000));
        Path young = Files.writeString(etc.resolve(".shadow.tmp.busy2"), "root:new");
        Path other = Files.writeString(etc.resolve(".passwd.tmp.dead3"), "x");
        Files.setLastModifiedTime(other, java.nio.file.attribute.FileTime.fromMillis(0));
        files.write("/etc/shadow", "root:x".getBytes(StandardCharsets.UTF_8), WriteOptions.mode(0600));
        assertFalse(Files.exists(stale));
        assertTrue(Files.exists(young));
        assertTrue(Files.exists(other), "temps of other files are theirs to clean");
    }
}
