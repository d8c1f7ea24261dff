package org.guestagent.commands.files;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import org.guestagent.api.command.CommandArgument;
import org.guestagent.api.command.CommandException;
import org.guestagent.api.system.FileTransaction;
import org.guestagent.api.system.GuestFiles;
import org.guestagent.api.system.WriteOptions;
import org.guestagent.ops.files.safe.SafeFileInjection;
import org.guestagent.system.LocalGuestFiles;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileCommandsTest {

    private static final boolean AS_ROOT = "root".equals(System.getProperty("user.name"));
    private static final String NEEDS_ROOT = "changing file owners needs root (CI runs as root)";

    @TempDir
    Path scratch;
    Path root;
    Path outside;
    FileCommands commands;

    @BeforeEach
    void setUp() throws IOException {
        root = Files.createDirectory(scratch.resolve("root")).toRealPath();
        outside = Files.createDirectory(scratch.resolve("outside")).toRealPath();
        commands = new FileCommands(new SafeFileInjection(new LocalGuestFiles(root), 1));
    }

    // --- what lands ---

    @Test
    void randomBinaryContentRoundTripsExactlyInBothForms() throws IOException {
        byte[] contents = new byte[2048];
        new Random(20240605).nextBytes(contents);

        assertEquals("", commands.injectFile(injectfile("/var/lib/blob", contents)));
        assertArrayEquals(contents, Files.readAllBytes(root.resolve("var/lib/blob")));

        assertEquals("", commands.fileInject(fileInject("/var/lib/blob2", contents)));
        assertArrayEquals(contents, Files.readAllBytes(root.resolve("var/lib/blob2")));
    }

    @Test
    void commasAndNewlinesInTheContentsSurvive() throws IOException {
        String contents = "a,b,,c\n\nd,e\r\n,";
        commands.injectFile(injectfile("/etc/with-commas", bytes(contents)));
        assertEquals(contents, Files.readString(root.resolve("etc/with-commas")));
    }

    @Test
    void pathWithACommaSplitsAtTheFirstComma() throws IOException {
        // the old form cannot carry a comma in the path: everything after the first one is contents
        commands.injectFile(injectfile("/etc/a", bytes("b,c")));
        assertEquals("b,c", Files.readString(root.resolve("etc/a")));
    }

    @Test
    void newFileIsRootOwned0644WithNewParentFolders0755() throws IOException {
        commands.injectFile(injectfile("/opt/app/conf/app.ini", bytes("x=1\n")));
        Path file = root.resolve("opt/app/conf/app.ini");
        assertEquals(0644, mode(file));
        assertEquals(0755, mode(root.resolve("opt")));
        assertEquals(0755, mode(root.resolve("opt/app/conf")));
        if (AS_ROOT) {
            assertEquals(0, Files.getAttribute(file, "unix:uid"));
            assertEquals(0, Files.getAttribute(file, "unix:gid"));
        }
    }

    @Test
    void replacingKeepsOwnerGroupAndModeAndOneBackup() throws IOException {
        assumeTrue(AS_ROOT, NEEDS_ROOT);
        Path file = Files.createDirectories(root.resolve("etc")).resolve("app.conf");
        Files.writeString(file, "first");
        Files.setAttribute(file, "unix:mode", 0640);
        Files.setAttribute(file, "unix:uid", 1234);
        Files.setAttribute(file, "unix:gid", 2345);

        commands.fileInject(fileInject("/etc/app.conf", bytes("second")));
        commands.fileInject(fileInject("/etc/app.conf", bytes("third")));

        assertEquals("third", Files.readString(file));
        assertEquals(0640, mode(file));
        assertEquals(1234, Files.getAttribute(file, "unix:uid"));
        assertEquals(2345, Files.getAttribute(file, "unix:gid"));
        List<String> names = names(file.getParent());
        assertEquals(2, names.size(), names.toString());
        assertTrue(names.get(1).matches("app\\.conf\\.bak\\.\\d{17}"), names.toString());
        assertEquals("second", Files.readString(file.resolveSibling(names.get(1))));
    }

    @Test
    void keysUnderDotSshAre0600InA0700Folder() throws IOException {
        Files.createDirectories(root.resolve("root"));
        commands.fileInject(fileInject("/root/.ssh/authorized_keys", bytes("ssh-ed25519 AAAA host\n")));
        assertEquals(0600, mode(root.resolve("root/.ssh/authorized_keys")));
        assertEquals(0700, mode(root.resolve("root/.ssh")));
    }

    @Test
    void newDotSshBelongsToTheOwnerOfTheHomeFolder() throws IOException {
        assumeTrue(AS_ROOT, NEEDS_ROOT);
        Path home = Files.createDirectories(root.resolve("home/bob"));
        Files.setAttribute(home, "unix:uid", 1000);
        Files.setAttribute(home, "unix:gid", 1001);

        commands.injectFile(injectfile("/home/bob/.ssh/authorized_keys", bytes("key\n")));

        for (Path path : List.of(home.resolve(".ssh"), home.resolve(".ssh/authorized_keys"))) {
            assertEquals(1000, Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS), path.toString());
            assertEquals(1001, Files.getAttribute(path, "unix:gid", LinkOption.NOFOLLOW_LINKS), path.toString());
        }
    }

    // --- links and folders ---

    @Test
    void symbolicLinkAtTheTargetIsReplacedAndItsTargetUntouched() throws IOException {
        Path victim = Files.writeString(outside.resolve("victim"), "untouched");
        Path link = Files.createSymbolicLink(Files.createDirectories(root.resolve("etc")).resolve("motd"), victim);

        commands.injectFile(injectfile("/etc/motd", bytes("hello")));

        assertFalse(Files.isSymbolicLink(link));
        assertEquals("hello", Files.readString(link));
        assertEquals("untouched", Files.readString(victim));
    }

    @Test
    void linkInAParentFolderOwnedByAUserIsRefused() throws IOException {
        assumeTrue(AS_ROOT, NEEDS_ROOT);
        Path home = Files.createDirectories(root.resolve("home/bob"));
        Path link = Files.createSymbolicLink(home.resolve(".ssh"), Files.createDirectories(root.resolve("etc")));
        Files.setAttribute(link, "unix:uid", 1000, LinkOption.NOFOLLOW_LINKS);

        CommandException e = assertThrows(CommandException.class,
                () -> commands.injectFile(injectfile("/home/bob/.ssh/shadow", bytes("x"))));

        assertTrue(e.getMessage().contains("/home/bob/.ssh is a symbolic link owned by a user other than root"), e.getMessage());
        assertEquals(List.of(), names(root.resolve("etc")));
    }

    @Test
    void linkInAParentFolderOwnedByRootIsFollowedInsideTheRoot() throws IOException {
        Files.createDirectories(root.resolve("usr/etc"));
        Files.createSymbolicLink(root.resolve("etc"), Path.of("usr/etc"));
        commands.injectFile(injectfile("/etc/conf", bytes("x")));
        assertEquals("x", Files.readString(root.resolve("usr/etc/conf")));
    }

    @Test
    void parentLinkLeadingOutsideTheRootWritesNothingThere() throws IOException {
        Files.createSymbolicLink(root.resolve("etc"), outside);
        CommandException e = assertThrows(CommandException.class,
                () -> commands.injectFile(injectfile("/etc/passwd", bytes("x"))));
        assertTrue(e.getMessage().startsWith("Could not write /etc/passwd"), e.getMessage());
        assertEquals(List.of(), names(outside));
    }

    @Test
    void aFolderIsNotAFile() throws IOException {
        Files.createDirectories(root.resolve("etc/conf.d"));
        assertMessage("The path /etc/conf.d is a folder, not a file", injectfile("/etc/conf.d", bytes("x")));
        assertMessage("The path /etc/new/ is a folder, not a file", injectfile("/etc/new/", bytes("x")));
        assertMessage("The path / is a folder, not a file", injectfile("/", bytes("x")));
        assertEquals(List.of("conf.d"), names(root.resolve("etc")));
    }

    @Test
    void pathsOutsideOrRelativeAreRefused() throws IOException {
        assertMessage("The path etc/passwd is not absolute", injectfile("etc/passwd", bytes("x")));
        assertMessage("The path /../outside/x leads above /", injectfile("/../outside/x", bytes("x")));
        assertMessage("The path holds a NUL character", fileInject("/etc/a\0b", bytes("x")));
        assertEquals(List.of(), names(outside));
        assertEquals(List.of(), names(root));
    }

    // --- malformed requests ---

    @Test
    void malformedRequestsGetClearMessages() {
        String b64 = Base64.getEncoder().encodeToString(bytes("/etc/x"));
        assertMessage("Couldn't decode base64 data in the injectfile data", CommandArgument.of("not base64!"));
        assertMessage("The injectfile data has no comma between the path and the contents", CommandArgument.of(b64));
        assertMessage("injectfile needs text: the base64 of 'path,contents'", CommandArgument.of(42));

        assertFileInject("file_inject data is missing the 'b64_path' key", Map.of("b64_file", b64));
        assertFileInject("file_inject data is missing the 'b64_file' key", Map.of("b64_path", b64));
        assertFileInject("Couldn't decode base64 data in 'b64_file'", Map.of("b64_path", b64, "b64_file", "%%%"));
        assertFileInject("The 'b64_path' value of file_inject must be base64 text", Map.of("b64_path", 7, "b64_file", b64));
        CommandException e = assertThrows(CommandException.class, () -> commands.fileInject(CommandArgument.of("text")));
        assertEquals("file_inject needs an object with the keys 'b64_path' and 'b64_file'", e.getMessage());
    }

    @Test
    void base64WithLineBreaksIsAccepted() throws IOException {
        String wrapped = Base64.getMimeEncoder().encodeToString(bytes("/etc/long," + "y".repeat(200)));
        commands.injectFile(CommandArgument.of(wrapped));
        assertEquals("y".repeat(200), Files.readString(root.resolve("etc/long")));
    }

    @Test
    void fullDiskAndReadOnlyFileSystemAreNamed() {
        assertEquals("Could not write /etc/a: the disk is full",
                failingWrite(new FileSystemException("/x/.a.tmp.1", null, "No space left on device")));
        assertEquals("Could not write /etc/a: the file system is read-only",
                failingWrite(new FileSystemException("/x/.a.tmp.1", null, "Read-only file system")));
    }

    // --- helpers ---

    private String failingWrite(IOException failure) {
        GuestFiles real = new LocalGuestFiles(root);
        GuestFiles failing = new GuestFiles() {
            public Path root() { return real.root(); }
            public Path resolve(String guestPath) { return real.resolve(guestPath); }
            public byte[] readIfExists(String guestPath) throws IOException { return real.readIfExists(guestPath); }
            public void write(String guestPath, byte[] content, WriteOptions options) throws IOException { throw failure; }
            public FileTransaction begin() { return real.begin(); }
        };
        FileCommands broken = new FileCommands(new SafeFileInjection(failing, 1));
        return assertThrows(CommandException.class, () -> broken.injectFile(injectfile("/etc/a", bytes("x")))).getMessage();
    }

    private void assertMessage(String expected, CommandArgument arg) {
        boolean oldForm = arg.object() == null;
        CommandException e = assertThrows(CommandException.class,
                () -> { if (oldForm) commands.injectFile(arg); else commands.fileInject(arg); });
        assertEquals(expected, e.getMessage());
    }

    private void assertFileInject(String expected, Map<String, Object> object) {
        CommandException e = assertThrows(CommandException.class, () -> commands.fileInject(CommandArgument.of(object)));
        assertEquals(expected, e.getMessage());
    }

    static CommandArgument injectfile(String path, byte[] contents) {
        byte[] pathBytes = bytes(path + ",");
        byte[] data = new byte[pathBytes.length + contents.length];
        System.arraycopy(pathBytes, 0, data, 0, pathBytes.length);
        System.arraycopy(contents, 0, data, pathBytes.length, contents.length);
        return CommandArgument.of(Base64.getEncoder().encodeToString(data));
    }

    static CommandArgument fileInject(String path, byte[] contents) {
        return CommandArgument.of(Map.of(
                "b64_path", Base64.getEncoder().encodeToString(bytes(path)),
                "b64_file", Base64.getEncoder().encodeToString(contents)));
    }

    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    static int mode(Path path) throws IOException {
        return (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
    }

    static List<String> names(Path dir) throws IOException {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
