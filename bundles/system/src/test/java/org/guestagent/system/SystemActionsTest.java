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
import java.util.concurrent.TimeUnit;

import org.guestagent.api.system.SystemActions;
import org.guestagent.api.system.SystemActions.ExecResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
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

    /**
     * A background child holds the output open after its parent has ended: the action returns all
     * the same, with the output, instead of reading until the child ends (600 s). Whether the child
     * is then killed depends on a race inside the JDK (it closes a finished program's pipes itself
     * unless a read is in progress), so the test only cleans it up.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void realRunEndsWhenAChildLeftInTheGroupKeepsTheOutputOpen() throws Exception {
        Path pid = root.resolve("child.pid");
        SystemActions actions = new RealSystemActions(() -> null);
        try {
            ExecResult result = actions.run(List.of("sh", "-c", "sleep 600 & echo $! > " + pid + "; echo started"), null,
                    Duration.ofSeconds(30));
            assertEquals(new ExecResult(0, "started\n", ""), result);
        } finally {
            ProcessHandle.of(readPid(pid)).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    /** A child that left the program's group (a proper daemon) is not killed, only no longer read from. */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void realRunLeavesADaemonInItsOwnSessionRunning() throws Exception {
        Path pid = root.resolve("daemon.pid");
        SystemActions actions = new RealSystemActions(() -> null);
        ExecResult result = actions.run(List.of("sh", "-c", "setsid sleep 600 & echo $! > " + pid + "; echo started"),
                null, Duration.ofSeconds(30));
        ProcessHandle daemon = ProcessHandle.of(readPid(pid)).orElseThrow();
        try {
            assertEquals(new ExecResult(0, "started\n", ""), result);
            assertTrue(daemon.isAlive(), "the daemon was killed");
        } finally {
            daemon.destroyForcibly();
        }
    }

    /** On a timeout the whole group goes, also a grandchild whose parent has exited (no longer a descendant). */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void realRunKillsTheWholeGroupOfAProgramThatOverrunsItsTimeout() throws Exception {
        Path pid = root.resolve("orphan.pid");
        SystemActions actions = new RealSystemActions(() -> null);
        IOException e = assertThrows(IOException.class, () -> actions.run(List.of("sh", "-c",
                "(sleep 600 & echo $! > " + pid + ".tmp; mv " + pid + ".tmp " + pid + "); sleep 600"), null,
                Duration.ofSeconds(2)));
        assertTrue(e.getMessage().contains("did not finish"), e.getMessage());
        assertEnds(readPid(pid));
    }

    private static long readPid(Path file) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!Files.exists(file) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        return Long.parseLong(Files.readString(file).strip());
    }

    private static void assertEnds(long pid) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (runs(pid) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        try {
            assertFalse(runs(pid), "process " + pid + " still runs");
        } finally {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    /**
     * Whether the process still runs. A killed orphan stays a zombie until the machine's init reaps
     * it, which some container inits do late, and the JDK counts a zombie as alive: it is not.
     */
    private static boolean runs(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
        } catch (java.io.IOException e) {
            return false; // gone
        }
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
