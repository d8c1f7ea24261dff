package org.guestagent.itests.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Predicate;

import org.guestagent.itests.support.AgentBundles;
import org.guestagent.itests.support.Distribution;
import org.guestagent.itests.support.Distribution.Result;
import org.guestagent.itests.support.JarSigning;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15, "nothing checks what the agent loads as root", tried as attacks on a copy of the
 * distribution: a writable or foreign-owned folder or file of the distribution keeps the agent
 * from starting; a world-writable or foreign-owned file dropped into deploy/ or config/ is
 * refused with a log line naming it; in the signed-bundle mode an unsigned jar is refused and a
 * signed one taken.
 */
class TrustedFilesTest {
    private static final Duration COMMAND_LIMIT = Duration.ofSeconds(60);
    private static final Duration CHANGE_LIMIT = Duration.ofSeconds(30);
    private static final int NOBODY = 65534;

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
    void stopAgent() {
        if (pid > 0) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    @Test
    void aWritableOrForeignPartOfTheDistributionKeepsTheAgentFromStarting() throws Exception {
        Path bundles = home.resolve("bundles");
        Files.setPosixFilePermissions(bundles, PosixFilePermissions.fromString("rwxrwxr-x"));
        Result r = start();
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().contains("refusing to start") && r.err().contains(bundles + " is writable by group or others (mode 0775)"), r.err());
        assertFalse(Files.exists(pidFile), "not started");
        Files.setPosixFilePermissions(bundles, PosixFilePermissions.fromString("rwxr-xr-x"));

        Path properties = home.resolve("config/framework.properties");
        Files.setPosixFilePermissions(properties, PosixFilePermissions.fromString("rw-rw-rw-"));
        r = start();
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().contains(properties + " is writable by group or others (mode 0666)"), r.err());
        Files.setPosixFilePermissions(properties, PosixFilePermissions.fromString("rw-r--r--"));

        if (isRoot()) {
            Path launcherJar = home.resolve("lib/guest-agent-launcher.jar");
            Files.setAttribute(launcherJar, "unix:uid", NOBODY);
            r = start();
            assertEquals(1, r.code(), r.toString());
            assertTrue(r.err().contains(launcherJar + " is owned by"), r.err());
            assertTrue(Files.readString(logFile).contains("refusing to start"), "the refusal is logged too");
        }
    }

    @Test
    void untrustedDropInsAreRefusedAndTrustedOnesTaken() throws Exception {
        Result started = start();
        assertEquals(0, started.code(), "start failed: " + started);
        pid = Long.parseLong(Files.readString(pidFile).trim());

        // a jar anybody may rewrite: refused, named in the log
        Path jar = home.resolve("deploy/sample-commands.jar");
        drop(AgentBundles.jar("itests/sample-commands").toPath(), jar, "rw-rw-rw-");
        awaitLog(log -> log.contains("refused " + jar + ": writable by group or others (mode 0666)"));
        assertFalse(shell("agent:commands").contains("sample_hello"), "the world-writable jar is not installed");

        if (isRoot()) {
            // configurations: one of another owner is refused, one of root's is applied
            Path foreign = home.resolve("config/org.example.foreign.cfg");
            Path tmp = scratch.resolve("foreign.cfg");
            Files.writeString(tmp, "a=1\n");
            Files.setAttribute(tmp, "unix:uid", NOBODY);
            Files.move(tmp, foreign);
            Files.writeString(home.resolve("config/org.example.trusted.cfg"), "a=1\n");
            awaitLog(log -> log.contains("refused " + foreign + ": owned by") && log.contains("{org.example.trusted}"));
            assertFalse(Files.readString(logFile).contains("{org.example.foreign}"), "the foreign configuration is not created");
        }

        // a folder (FileInstall would jar it in its own temporary folder, out of the gate's sight)
        Path folder = scratch.resolve("exploded.jar");
        Files.createDirectories(folder.resolve("META-INF"));
        Files.writeString(folder.resolve("META-INF/MANIFEST.MF"),
                "Manifest-Version: 1.0\nBundle-ManifestVersion: 2\nBundle-SymbolicName: test.exploded\n\n");
        Path exploded = home.resolve("deploy/exploded.jar");
        Files.move(folder, exploded);
        awaitLog(log -> log.contains("refused jardir:" + exploded + ": only jar files are installed"));
        assertFalse(shell("lb -s").contains("test.exploded"), "the folder is not installed as a bundle");

        // the owner fixes the mode and touches the file: now it is taken
        Files.setPosixFilePermissions(jar, PosixFilePermissions.fromString("rw-r--r--"));
        Files.setLastModifiedTime(jar, FileTime.from(Instant.now().plusSeconds(2)));
        awaitShell("agent:commands", out -> out.contains("sample_hello"));

        // made writable for all and changed again: the installed bundle goes away
        Files.setPosixFilePermissions(jar, PosixFilePermissions.fromString("rw-rw-rw-"));
        Files.setLastModifiedTime(jar, FileTime.from(Instant.now().plusSeconds(4)));
        awaitShell("agent:commands", out -> !out.contains("sample_hello"));
    }

    @Test
    void signedModeTakesOnlyJarsSignedByATrustedKey() throws Exception {
        JarSigning signer = JarSigning.create(scratch, "vendor");
        Path trustStore = home.resolve("config/trusted-signers.p12");
        signer.trustIn(trustStore);
        Files.setPosixFilePermissions(trustStore, PosixFilePermissions.fromString("rw-r--r--"));
        Path cfg = home.resolve("config/org.guestagent.launcher.cfg");
        String text = Files.readString(cfg);
        assertTrue(text.contains("\ntrust.store=\n") && text.contains("\ntrust.store.password=\n"), "keys in " + cfg);
        Files.writeString(cfg, text.replace("\ntrust.store=\n", "\ntrust.store=" + trustStore + "\n")
                .replace("\ntrust.store.password=\n", "\ntrust.store.password=" + JarSigning.PASSWORD + "\n"));
        Result started = start();
        assertEquals(0, started.code(), "start failed: " + started);
        pid = Long.parseLong(Files.readString(pidFile).trim());

        Path sample = AgentBundles.jar("itests/sample-commands").toPath();
        Path unsigned = home.resolve("deploy/unsigned.jar");
        drop(sample, unsigned, "rw-r--r--");
        awaitLog(log -> log.contains("refused " + unsigned + ": '") && log.contains("' is not signed"));
        assertFalse(shell("agent:commands").contains("sample_hello"), "the unsigned jar is not installed");
        Files.delete(unsigned);

        Path signed = scratch.resolve("signed.jar");
        signer.sign(sample, signed);
        drop(signed, home.resolve("deploy/signed.jar"), "rw-r--r--");
        awaitShell("agent:commands", out -> out.contains("sample_hello"));
    }

    private static boolean isRoot() throws IOException {
        return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
    }

    /** Puts a file in place in one rename, with its mode already set (FileInstall never sees it half made). */
    private void drop(Path source, Path target, String mode) throws IOException {
        Path tmp = scratch.resolve("drop-" + target.getFileName());
        Files.copy(source, tmp, StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString(mode));
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    }

    private Result start() throws Exception {
        return run(null, "bin/guest-agent", "--root", root.toString(), "--pidfile", pidFile.toString(),
                "--logfile", logFile.toString(), "--features", "guest-agent-core,guest-agent-shell");
    }

    private void awaitLog(Predicate<String> expected) throws Exception {
        long deadline = System.nanoTime() + CHANGE_LIMIT.toNanos();
        String log = Files.readString(logFile);
        while (!expected.test(log)) {
            if (System.nanoTime() > deadline) {
                fail("the log did not show what was expected within " + CHANGE_LIMIT.toSeconds() + " s:\n" + log);
            }
            Thread.sleep(200);
            log = Files.readString(logFile);
        }
    }

    private String shell(String command) throws Exception {
        Result r = run(command + "\n", "bin/guest-agent", "shell", "--root", root.toString());
        assertEquals(0, r.code(), r.toString());
        return r.out();
    }

    private String awaitShell(String command, Predicate<String> expected) throws Exception {
        long deadline = System.nanoTime() + CHANGE_LIMIT.toNanos();
        String out = shell(command);
        while (!expected.test(out)) {
            if (System.nanoTime() > deadline) {
                fail("no expected answer to " + command + " within " + CHANGE_LIMIT.toSeconds() + " s; last:\n" + out
                        + "\nlog:\n" + Files.readString(logFile));
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
