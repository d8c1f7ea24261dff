package org.guestagent.itests.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import org.guestagent.itests.support.Distribution;
import org.guestagent.itests.support.Distribution.Result;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * The --root tree may be a guest image, so nothing in it is trusted: a symbolic link planted at
 * any of the agent's own paths below it (log, pid file and its .tmp, state folder, bundle cache,
 * run folder, shell socket) must not lead the agent (running as root) to write, truncate, chmod
 * or empty anything outside the root. The agent refuses with an error naming the link.
 */
class OwnFilesUnderRootTest {
    private static final Duration COMMAND_LIMIT = Duration.ofSeconds(90);
    private static final Duration LOG_LIMIT = Duration.ofSeconds(30);

    @TempDir
    Path scratch;
    private Path home;
    private Path root;
    private Path outside;
    private Path pidFile;

    @BeforeEach
    void setUp() throws IOException {
        home = Distribution.copyInto(scratch);
        root = Files.createDirectories(scratch.resolve("root"));
        outside = Files.createDirectories(scratch.resolve("outside"));
        Files.writeString(outside.resolve("victim"), "untouched\n");
        Path folder = Files.createDirectories(outside.resolve("folder"));
        Files.setAttribute(folder, "unix:mode", 0755);
        Files.writeString(folder.resolve("kept"), "kept\n");
        Files.createDirectories(folder.resolve("sub"));
        Files.writeString(folder.resolve("sub/kept-too"), "kept\n");
    }

    @AfterEach
    void stopAgent() throws IOException {
        Path pid = root.resolve("run/guest-agent/guest-agent.pid");
        if (Files.isRegularFile(pid, LinkOption.NOFOLLOW_LINKS)) {
            ProcessHandle.of(Long.parseLong(Files.readString(pid).trim())).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "var/log/guest-agent.log,                  victim",
        "var/log,                                  folder",
        "var/lib/guest-agent,                      folder",
        "var/lib/guest-agent/felix-cache,          folder",
        "run/guest-agent,                          folder",
        "run/guest-agent/guest-agent.pid,          victim",
        "run/guest-agent/guest-agent.pid.tmp,      victim",
    })
    void aLinkAtAnOwnPathIsRefusedAndNothingOutsideChanges(String planted, String target) throws Exception {
        Map<String, String> before = snapshot(outside);
        Path link = plant(planted, target);

        Result start = run("bin/guest-agent", "--root", root.toString(), "--features", "guest-agent-core,guest-agent-shell");

        assertEquals(1, start.code(), "the agent must refuse to start: " + start);
        assertTrue(start.err().contains(link.toString()) && start.err().contains("is a symbolic link"), start.toString());
        assertTrue(Files.isSymbolicLink(link), "the link itself stays");
        assertEquals(before, snapshot(outside), "outside the root something changed: " + start);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "run/guest-agent/shell.sock,               victim",
    })
    void aLinkAtTheShellSocketIsRefusedAndNothingOutsideChanges(String planted, String target) throws Exception {
        Map<String, String> before = snapshot(outside);
        Path link = plant(planted, target);

        Result start = run("bin/guest-agent", "--root", root.toString(), "--features", "guest-agent-core,guest-agent-shell");

        assertEquals(0, start.code(), "the agent runs on without its shell: " + start);
        Path log = root.resolve("var/log/guest-agent.log");
        long deadline = System.nanoTime() + LOG_LIMIT.toNanos();
        while (!Files.readString(log).contains(link + ": is a symbolic link")) {
            if (System.nanoTime() > deadline) {
                fail("no refusal of " + link + " in the log within " + LOG_LIMIT.toSeconds() + " s:\n" + Files.readString(log));
            }
            Thread.sleep(200);
        }
        assertTrue(Files.isSymbolicLink(link), "the link itself stays");
        assertEquals(before, snapshot(outside), "outside the root something changed");
    }

    /** A link at the path below the root, to the outside file ("victim") or folder ("folder"). */
    private Path plant(String planted, String target) throws IOException {
        Path link = root.resolve(planted);
        Files.createDirectories(link.getParent());
        return Files.createSymbolicLink(link, outside.resolve(target));
    }

    /** Path, type, mode and content of everything below the folder. */
    private static Map<String, String> snapshot(Path folder) throws IOException {
        Map<String, String> result = new TreeMap<>();
        try (Stream<Path> all = Files.walk(folder)) {
            for (Path path : all.toList()) {
                Map<String, Object> a = Files.readAttributes(path, "unix:uid,mode,size", LinkOption.NOFOLLOW_LINKS);
                String content = Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS) ? Files.readString(path) : "";
                result.put(folder.relativize(path).toString(), a.get("uid") + " " + Integer.toOctalString((Integer) a.get("mode"))
                        + " " + content);
            }
        }
        return result;
    }


    private Result run(String... command) throws Exception {
        return Distribution.run(home, scratch, COMMAND_LIMIT, null, command);
    }
}
