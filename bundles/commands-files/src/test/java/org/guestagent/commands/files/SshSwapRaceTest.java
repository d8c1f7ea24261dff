package org.guestagent.commands.files;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import org.guestagent.api.command.CommandException;
import org.guestagent.ops.files.safe.SafeFileInjection;
import org.guestagent.system.LocalGuestFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The attack of the security review, re-run: while the host injects keys into a user's home, the
 * user keeps swapping her {@code ~/.ssh} folder with a symbolic link (hers) to root's
 * {@code .ssh}. Nothing outside her home may change owner, mode or content, and no temporary
 * file may be left anywhere.
 */
class SshSwapRaceTest {

    private static final int USER = 1000;
    private static final int SWAPS = 5_000;
    private static final int INJECTIONS = 300;
    private static final long BOUND_MILLIS = 120_000;

    @TempDir
    Path scratch;

    @Test
    void swappingDotSshWithALinkNeverReachesRootsKeys() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "giving files to a user needs root (CI runs as root)");
        Path root = Files.createDirectory(scratch.resolve("root")).toRealPath();
        Path rootSsh = Files.createDirectories(root.resolve("root/.ssh"));
        Files.setAttribute(rootSsh, "unix:mode", 0700);
        Path rootKeys = Files.writeString(rootSsh.resolve("authorized_keys"), "ssh-ed25519 AAAA root's own key\n");
        Files.setAttribute(rootKeys, "unix:mode", 0600);
        Path outside = Files.createDirectory(scratch.resolve("outside"));
        Files.writeString(outside.resolve("authorized_keys"), "outside the root\n");

        Path home = Files.createDirectories(root.resolve("home/alice"));
        giveToUser(home);
        Path ssh = Files.createDirectory(home.resolve(".ssh"));
        giveToUser(ssh);
        // her links, made once (as she would, owned by her); from then on she only renames
        Path linkToRoot = Files.createSymbolicLink(home.resolve("to-root"), rootSsh);
        Path linkOutside = Files.createSymbolicLink(home.resolve("to-outside"), outside);
        giveToUser(linkToRoot);
        giveToUser(linkOutside);

        Map<String, String> before = snapshot(scratch, home);
        FileCommands commands = new FileCommands(new SafeFileInjection(new LocalGuestFiles(root), 1));

        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong swaps = new AtomicLong();
        Thread attacker = new Thread(() -> {
            Path away = home.resolve("ssh-away");
            int i = 0;
            while (!stop.get()) {
                Path link = (i++ & 1) == 0 ? linkToRoot : linkOutside;
                // .ssh aside, her link in its place, then both back (each rename may fail: a new
                // .ssh made by the agent meanwhile, say; she just goes on)
                swaps.addAndGet(tryMove(ssh, away) + tryMove(link, ssh) + tryMove(ssh, link) + tryMove(away, ssh));
            }
        }, "attacker");
        attacker.start();

        int injected = 0;
        int refused = 0;
        long deadline = System.currentTimeMillis() + BOUND_MILLIS;
        try {
            for (int n = 0; (n < INJECTIONS || swaps.get() < SWAPS) && System.currentTimeMillis() < deadline; n++) {
                try {
                    commands.fileInject(FileCommandsTest.fileInject("/home/alice/.ssh/authorized_keys",
                            ("ssh-ed25519 AAAA host key " + n + "\n").getBytes(StandardCharsets.UTF_8)));
                    injected++;
                } catch (CommandException e) {
                    refused++;
                }
            }
        } finally {
            stop.set(true);
            attacker.join();
        }
        String seen = injected + " injections written, " + refused + " refused, " + swaps.get() + " swaps";
        System.out.println("SshSwapRaceTest: " + seen);
        assertTrue(injected + refused >= INJECTIONS && swaps.get() >= SWAPS, "the race did not run long enough: " + seen);

        assertEquals(before, snapshot(scratch, home), "files outside her home changed (" + seen + ")");
        assertArrayEquals("ssh-ed25519 AAAA root's own key\n".getBytes(StandardCharsets.UTF_8), Files.readAllBytes(rootKeys));
        List<String> leftovers = leftovers(scratch);
        assertEquals(List.of(), leftovers, "temporary files left behind (" + seen + ")");
    }

    private static int tryMove(Path from, Path to) {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
            return 1;
        } catch (IOException e) {
            return 0;
        }
    }

    private static void giveToUser(Path path) throws IOException {
        Files.setAttribute(path, "unix:uid", USER, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(path, "unix:gid", USER, LinkOption.NOFOLLOW_LINKS);
    }

    /** Path, type, owner, mode and content of everything below the folder, except below {@code home}. */
    private static Map<String, String> snapshot(Path folder, Path home) throws IOException {
        Map<String, String> result = new TreeMap<>();
        try (Stream<Path> all = Files.walk(folder)) {
            for (Path path : all.filter(p -> !p.startsWith(home)).toList()) {
                Map<String, Object> a = Files.readAttributes(path, "unix:uid,gid,mode,ino", LinkOption.NOFOLLOW_LINKS);
                String content = Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS) ? Files.readString(path) : "";
                result.put(folder.relativize(path).toString(), a.get("uid") + ":" + a.get("gid") + " "
                        + Integer.toOctalString((Integer) a.get("mode")) + " " + a.get("ino") + " " + content);
            }
        }
        return result;
    }

    /** Temporary or kept-aside files of an interrupted write, anywhere below the folder. */
    private static List<String> leftovers(Path folder) throws IOException {
        List<String> found = new ArrayList<>();
        try (Stream<Path> all = Files.walk(folder)) {
            all.map(p -> folder.relativize(p).toString())
                    .filter(p -> p.matches(".*/\\.[^/]*\\.(tmp|old)\\.[0-9a-f]+"))
                    .forEach(found::add);
        }
        return found;
    }
}
