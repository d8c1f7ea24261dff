package org.guestagent.itests.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.guestagent.itests.support.AgentBundles;
import org.guestagent.itests.support.Distribution;
import org.guestagent.itests.support.Distribution.Result;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The built distribution end to end: bin/guest-agent starts detached, a vendor bundle dropped
 * into deploy/ shows up in the shell and in "features", goes away when removed, the agent's pid
 * never changes, and SIGTERM stops it cleanly. Runs a copy of launcher/target/guest-agent so
 * deploy/ and the data folders belong to this test alone.
 */
class DistributionTest {
    private static final Duration COMMAND_LIMIT = Duration.ofSeconds(60);
    private static final Duration CHANGE_LIMIT = Duration.ofSeconds(20);

    @TempDir
    Path scratch;
    private Path home;
    private Path root;
    private Path pidFile;
    private Path logFile;
    private long pid;

    @BeforeEach
    void copyDistribution() throws IOException {
        home = Distribution.copyInto(scratch);
        root = Files.createDirectories(scratch.resolve("root"));
        pidFile = scratch.resolve("agent.pid");
        logFile = scratch.resolve("agent.log");
    }

    @AfterEach
    void killLeftover() {
        if (pid > 0) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    @Test
    void hotDeployedBundleComesAndGoesWhileThePidStays() throws Exception {
        Result start = run(null, "bin/guest-agent", "--root", root.toString(), "--pidfile", pidFile.toString(),
                "--logfile", logFile.toString(), "--features", "guest-agent-core,guest-agent-shell");
        assertEquals(0, start.code(), "start failed: " + start);
        pid = Long.parseLong(Files.readString(pidFile).trim());
        assertTrue(start.out().contains("started, pid " + pid), start.out());
        assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "agent process alive");

        String commands = shell("agent:commands");
        assertTrue(commands.contains("version") && commands.contains("features"), commands);
        assertFalse(commands.contains("sample_hello"), commands);

        assertShellReportsFailuresAndHasGogoBuiltins();

        Path dropped = home.resolve("deploy/sample-commands.jar");
        Files.copy(AgentBundles.jar("itests/sample-commands").toPath(), dropped);
        String listed = awaitShell("agent:commands", out -> out.contains("sample_hello"));
        assertTrue(listed.lines().anyMatch(l -> l.startsWith("sample_hello") && l.contains("org.guestagent.sample-commands")), listed);
        assertTrue(shell("agent:call features").matches("(?s)0 \\S*sample_hello\\S*\\s*"), "features lists the vendor command");
        assertEquals("0 hello from vendor", shell("agent:call sample_hello").strip());
        assertSamePid();

        Files.delete(dropped);
        awaitShell("agent:commands", out -> !out.contains("sample_hello"));
        assertFalse(shell("agent:call features").contains("sample_hello"));
        assertEquals("404 No such agent command 'sample_hello'", shell("agent:call sample_hello").strip());
        assertSamePid();

        ProcessHandle agent = ProcessHandle.of(pid).orElseThrow();
        assertTrue(agent.destroy(), "SIGTERM sent");
        agent.onExit().get(COMMAND_LIMIT.toSeconds(), TimeUnit.SECONDS);
        assertFalse(Files.exists(pidFile), "pid file removed on a clean stop");
        String log = Files.readString(logFile);
        assertTrue(log.contains("guest-agent stopped"), log);
        assertFalse(log.contains("did not start"), "every bundle started:\n" + log);
    }

    /** The former feature names (before the guest-agent- prefix) still boot the same bundles, with a warning each. */
    @Test
    void formerFeatureNamesStillBootWithAWarning() throws Exception {
        Result start = run(null, "bin/guest-agent", "--root", root.toString(), "--pidfile", pidFile.toString(),
                "--logfile", logFile.toString(), "--features", "core,shell");
        assertEquals(0, start.code(), "start failed: " + start);
        pid = Long.parseLong(Files.readString(pidFile).trim());
        String commands = shell("agent:commands");
        assertTrue(commands.contains("version") && commands.contains("password"), commands);
        String log = Files.readString(logFile);
        assertTrue(log.contains("feature 'core' is now called 'guest-agent-core'"), log);
        assertTrue(log.contains("feature 'shell' is now called 'guest-agent-shell'"), log);
        assertTrue(log.contains("features guest-agent-core,guest-agent-shell,"), log);
        ProcessHandle agent = ProcessHandle.of(pid).orElseThrow();
        assertTrue(agent.destroy(), "SIGTERM sent");
        agent.onExit().get(COMMAND_LIMIT.toSeconds(), TimeUnit.SECONDS);
    }

    @Test
    void badOptionsAndConfigurationsExitNonZeroWithAReason() throws Exception {
        Result bogus = run(null, "bin/guest-agent", "--bogus");
        assertEquals(2, bogus.code(), bogus.toString());
        assertTrue(bogus.err().contains("unknown option '--bogus'"), bogus.err());

        Result noRoot = run(null, "bin/guest-agent", "--root", scratch.resolve("missing").toString());
        assertEquals(1, noRoot.code(), noRoot.toString());
        assertTrue(noRoot.err().contains("root folder " + scratch.resolve("missing") + " does not exist"), noRoot.err());

        Result noFeature = run(null, "bin/guest-agent", "--root", root.toString(), "--features", "guest-agent-core,kvm9");
        assertEquals(1, noFeature.code(), noFeature.toString());
        assertTrue(noFeature.err().contains("unknown feature 'kvm9'"), noFeature.err());

        Result noAgent = run("agent:commands\n", "bin/guest-agent", "shell", "--root", root.toString());
        assertEquals(1, noAgent.code(), noAgent.toString());
        assertTrue(noAgent.err().contains("is the agent running"), noAgent.err());
    }

    /**
     * A script can tell a failed shell command: with -c or piped, the error goes to stderr and the
     * exit status is 1; and Gogo's built-ins a shell user reaches for are there.
     */
    private void assertShellReportsFailuresAndHasGogoBuiltins() throws Exception {
        Result missing = run(null, "bin/guest-agent", "shell", "--root", root.toString(), "-c", "no_such_command");
        assertEquals(1, missing.code(), missing.toString());
        assertTrue(missing.err().contains("Error: Command not found: no_such_command"), missing.toString());
        assertEquals("", missing.out(), missing.toString());

        Result piped = run("agent:call version\nno_such_command\n", "bin/guest-agent", "shell", "--root", root.toString());
        assertEquals(1, piped.code(), piped.toString());
        assertTrue(piped.out().startsWith("0 0.1.0"), piped.toString());
        assertTrue(piped.err().contains("no_such_command"), piped.toString());

        Result ok = run(null, "bin/guest-agent", "shell", "--root", root.toString(), "-c", "echo hello there");
        assertEquals(0, ok.code(), ok.toString());
        assertEquals("hello there", ok.out().strip());
        assertEquals("", ok.err());

        Result grep = run(null, "bin/guest-agent", "shell", "--root", root.toString(), "-c", "agent:commands | grep password");
        assertEquals(0, grep.code(), grep.toString());
        assertTrue(grep.out().lines().anyMatch(l -> l.startsWith("password")), grep.toString());
        assertFalse(grep.out().contains("version"), "grep filtered the table: " + grep);

        Result tac = run(null, "bin/guest-agent", "shell", "--root", root.toString(), "-c", "echo one two | tac");
        assertEquals(0, tac.code(), tac.toString());
        assertEquals("one two", tac.out().strip());
    }

    private void assertSamePid() throws IOException {
        assertEquals(Long.toString(pid), Files.readString(pidFile).trim(), "pid file unchanged");
        assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "the same agent process still runs");
    }

    private String shell(String command) throws Exception {
        Result r = run(command + "\n", "bin/guest-agent", "shell", "--root", root.toString());
        assertEquals(0, r.code(), r.toString());
        return r.out();
    }

    /** Asks the shell until the answer fits (FileInstall polls deploy/ every second). */
    private String awaitShell(String command, Predicate<String> expected) throws Exception {
        long deadline = System.nanoTime() + CHANGE_LIMIT.toNanos();
        String out = shell(command);
        while (!expected.test(out)) {
            if (System.nanoTime() > deadline) {
                fail("no expected answer to " + command + " within " + CHANGE_LIMIT.toSeconds() + " s; last:\n" + out);
            }
            Thread.sleep(300);
            out = shell(command);
        }
        return out;
    }


    private Result run(String stdin, String... command) throws Exception {
        return Distribution.run(home, scratch, COMMAND_LIMIT, stdin, command);
    }
}
