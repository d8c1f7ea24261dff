package org.guestagent.commands.qga;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

import org.guestagent.api.command.CommandArgument;
import org.guestagent.api.command.CommandException;
import org.guestagent.system.LocalGuestFiles;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * guest-file-open under a root goes through the seam's link-safe walk: a link planted among the
 * folders or at the file does not lead the open out of the root, nor through a user's link.
 */
class QgaFileOpenLinkTest {
    @TempDir
    Path scratch;
    private Path root;
    private Path outside;
    private QgaFileCommands commands;

    @BeforeEach
    void guest() throws Exception {
        root = Files.createDirectories(scratch.resolve("guest"));
        outside = Files.createDirectories(scratch.resolve("outside"));
        Files.writeString(outside.resolve("secret.txt"), "outside the root");
        Files.createDirectories(root.resolve("etc"));
        Files.writeString(root.resolve("etc/shadow"), "root:*:19000::::::\n");
        Files.createDirectories(root.resolve("var/tmp"));
        commands = new QgaFileCommands(new LocalGuestFiles(root));
    }

    private static CommandArgument args(Object... pairs) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            m.put((String) pairs[i], pairs[i + 1]);
        }
        return CommandArgument.of(m);
    }

    private String refusal(String path, String mode) {
        return assertThrows(CommandException.class, () -> commands.openFile(args("path", path, "mode", mode))).getMessage();
    }

    private String read(String path) {
        String handle = commands.openFile(args("path", path));
        String answer = commands.read(args("handle", java.math.BigInteger.valueOf(Long.parseLong(handle))));
        commands.close(args("handle", java.math.BigInteger.valueOf(Long.parseLong(handle))));
        String b64 = answer.replaceAll(".*\"buf-b64\":\"([^\"]*)\".*", "$1");
        return new String(Base64.getDecoder().decode(b64), StandardCharsets.UTF_8);
    }

    @Test
    void aLinkAmongTheFoldersDoesNotLeadOutOfTheRoot() throws Exception {
        Files.createSymbolicLink(root.resolve("var/tmp/escape"), outside.toRealPath());
        String message = refusal("/var/tmp/escape/secret.txt", "r");
        assertTrue(message.startsWith("failed to open file '/var/tmp/escape/secret.txt' (mode: 'r'): "), message);
        assertTrue(message.contains("leads outside the root folder"), message);
        refusal("/var/tmp/escape/new.txt", "w");
        assertFalse(Files.exists(outside.resolve("new.txt")), "a file was made outside the root");
    }

    @Test
    void aLinkAtTheFileDoesNotLeadOutOfTheRoot() throws Exception {
        Files.createSymbolicLink(root.resolve("var/tmp/file"), outside.resolve("secret.txt").toRealPath());
        assertTrue(refusal("/var/tmp/file", "r").contains("leads outside the root folder"));
        assertTrue(refusal("/var/tmp/file", "a").contains("leads outside the root folder"));
        assertEquals("outside the root", Files.readString(outside.resolve("secret.txt")), "appended to through the link");
    }

    @Test
    void aUsersLinkIsNotFollowed() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "giving a link to another user needs root");
        Path home = Files.createDirectories(root.resolve("home/bob"));
        Path link = Files.createSymbolicLink(home.resolve("docs"), Path.of("../../etc"));
        Process chown = new ProcessBuilder("chown", "-h", "1000:1000", link.toString(), home.toString()).inheritIO().start();
        assertEquals(0, chown.waitFor());
        String message = refusal("/home/bob/docs/shadow", "r");
        assertTrue(message.contains("is a symbolic link owned by a user other than root"), message);
    }

    @Test
    void aRootLinkInsideTheRootIsFollowedAsQemuGaWould() throws Exception {
        Files.createSymbolicLink(root.resolve("etc/shadow-link"), Path.of("shadow"));
        Files.createSymbolicLink(root.resolve("var/tmp/etc"), Path.of("../../etc"));
        assertEquals("root:*:19000::::::\n", read("/etc/shadow-link"));
        assertEquals("root:*:19000::::::\n", read("/var/tmp/etc/shadow"));
    }

    @Test
    void modesWork() throws Exception {
        String handle = commands.openFile(args("path", "/var/tmp/new.bin", "mode", "w+"));
        java.math.BigInteger h = new java.math.BigInteger(handle);
        commands.write(args("handle", h, "buf-b64", "AAEC/w=="));
        commands.close(args("handle", h));
        assertEquals(4, Files.size(root.resolve("var/tmp/new.bin")));
        h = new java.math.BigInteger(commands.openFile(args("path", "/var/tmp/new.bin", "mode", "a")));
        commands.write(args("handle", h, "buf-b64", "eA=="));
        commands.close(args("handle", h));
        assertEquals(5, Files.size(root.resolve("var/tmp/new.bin")));
        h = new java.math.BigInteger(commands.openFile(args("path", "/var/tmp/new.bin", "mode", "w")));
        commands.close(args("handle", h));
        assertEquals(0, Files.size(root.resolve("var/tmp/new.bin")), "w truncates");
        assertEquals("failed to open file '/var/tmp/none' (mode: 'r'): No such file or directory", refusal("/var/tmp/none", "r"));
        assertEquals("failed to open file '/no/dir/x' (mode: 'w'): No such file or directory", refusal("/no/dir/x", "w"));
    }
}
