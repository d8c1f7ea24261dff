package org.guestagent.ops.password.shadow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.guestagent.ops.password.PasswordChangeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShadowPasswordsTest {

    @TempDir
    Path root;

    private ShadowPasswords passwords(ScratchGuest guest) {
        return new ShadowPasswords(guest.files, guest.actions, guest.platform, new SecureRandom(), ScratchGuest.CLOCK);
    }

    private String setAndReadRootHash(String shadow, String password) throws Exception {
        ScratchGuest guest = new ScratchGuest(root).withShadow(shadow);
        passwords(guest).setPassword("root", password.toCharArray());
        String hash = guest.rootHash();
        assertTrue(Tools.pythonVerifies(password, hash), hash);
        return hash;
    }

    @Test
    void keepsTheOldMethodAndSaltLength() throws Exception {
        assertTrue(setAndReadRootHash("root:$5$abcdefgh$sum:1:0:99999:7:::\n", "pw5").matches("\\$5\\$[./0-9A-Za-z]{8}\\$.*"));
        assertTrue(setAndReadRootHash("root:$1$abcd$sum:1:0:99999:7:::\n", "pw1").matches("\\$1\\$[./0-9A-Za-z]{4}\\$.*"));
        assertTrue(setAndReadRootHash("root:$6$rounds=6000$abcdefghijkl$sum:1::::::\n", "pw6")
                .matches("\\$6\\$rounds=6000\\$[./0-9A-Za-z]{12}\\$.*"));
        assertTrue(setAndReadRootHash("root:$y$j9T$HQclkbdBkPnUzlrsIQ.7w1$sum:1::::::\n", "pwy").startsWith("$y$j9T$"));
    }

    @Test
    void anEntryWithoutHashGetsSha512AndALockedOneIsUnlocked() throws Exception {
        for (String old : List.of("*", "!", "!!", "", "!$6$abcdefghijklmnop$sum")) {
            String hash = setAndReadRootHash("root:" + old + ":1:0:99999:7:::\n", "pw");
            assertTrue(hash.matches("\\$6\\$[./0-9A-Za-z]{16}\\$.*"), old + " -> " + hash);
        }
    }

    @Test
    void onlyTheFirstRootEntryChangesAndAnEntryAtTheEndWithoutNewlineWorks() throws Exception {
        ScratchGuest guest = new ScratchGuest(root).withShadow("rooter:*:1::::::\nroot:*:1::::::\nroot:!:2::::::");
        passwords(guest).setPassword("root", "pw".toCharArray());
        String[] lines = guest.shadowText().split("\n", -1);
        assertEquals("rooter:*:1::::::", lines[0]);
        assertTrue(lines[1].startsWith("root:$6$"), lines[1]);
        assertTrue(lines[1].endsWith(":" + ScratchGuest.TODAY + "::::::"), lines[1]);
        assertEquals("root:!:2::::::", lines[2]);
        assertEquals(3, lines.length, "no newline added at the end");
    }

    @Test
    void anyUsersPasswordIsSetAndOnlyTheirLineChanges() throws Exception {
        ScratchGuest guest = new ScratchGuest(root).withShadow(ScratchGuest.SHADOW_BEFORE);
        passwords(guest).setPassword("alice", "alice-pw".toCharArray());
        String alice = guest.shadowText().lines().filter(l -> l.startsWith("alice:")).findFirst().orElseThrow();
        String hash = alice.split(":", -1)[1];
        assertTrue(hash.startsWith("$y$"), "alice keeps yescrypt: " + hash);
        assertTrue(Tools.pythonVerifies("alice-pw", hash), hash);
        assertEquals(ScratchGuest.SHADOW_BEFORE.replace(
                ScratchGuest.SHADOW_BEFORE.lines().filter(l -> l.startsWith("alice:")).findFirst().orElseThrow(), alice),
                guest.shadowText(), "every other byte stays");
    }

    @Test
    void aCryptedHashIsWrittenAsGivenAndAnUnusableOneRefused() throws Exception {
        ScratchGuest guest = new ScratchGuest(root).withShadow(ScratchGuest.SHADOW_BEFORE);
        String crypted = "$6$saltsaltsaltsalt$" + "x".repeat(86);
        passwords(guest).setCryptedPassword("daemon", crypted);
        assertTrue(guest.shadowText().contains("\ndaemon:" + crypted + ":" + ScratchGuest.TODAY + ":"), guest.shadowText());

        String before = guest.shadowText();
        PasswordChangeException e = assertThrows(PasswordChangeException.class,
                () -> passwords(guest).setCryptedPassword("daemon", "a:b"));
        assertEquals("Cannot set the password: the crypted password is not a usable hash", e.getMessage());
        e = assertThrows(PasswordChangeException.class, () -> passwords(guest).setPassword("no-such-user", "pw".toCharArray()));
        assertEquals("Cannot set the password: /etc/shadow has no entry for no-such-user", e.getMessage());
        assertEquals(before, guest.shadowText());
    }

    @Test
    void noRootEntryIsAClearError() throws Exception {
        ScratchGuest guest = new ScratchGuest(root).withShadow("daemon:*:1::::::\n");
        PasswordChangeException e = assertThrows(PasswordChangeException.class, () -> passwords(guest).setPassword("root", "pw".toCharArray()));
        assertEquals("Cannot set the password: /etc/shadow has no entry for root", e.getMessage());
        assertEquals("daemon:*:1::::::\n", guest.shadowText());
    }

    @Test
    void neitherFileIsAClearError() {
        ScratchGuest guest = new ScratchGuest(root);
        PasswordChangeException e = assertThrows(PasswordChangeException.class, () -> passwords(guest).setPassword("root", "pw".toCharArray()));
        assertEquals("Cannot set the password: this system has neither /etc/shadow nor /etc/master.passwd", e.getMessage());
    }

    @Test
    void freeBsdRewritesMasterPasswdThenRunsPwdMkdb() throws Exception {
        String master = "# $FreeBSD$\nroot:$6$abcdefghijklmnop$sum:0:0::0:0:Charlie &:/root:/bin/sh\n"
                + "toor:*:0:0::0:0:Bourne-again Superuser:/root:\n";
        ScratchGuest guest = new ScratchGuest(root).withFile("etc/master.passwd", master);
        passwords(guest).setPassword("root", "bsd-pass".toCharArray());

        List<String> lines = Files.readAllLines(root.resolve("etc/master.passwd"));
        String[] fields = lines.get(1).split(":", -1);
        assertTrue(Tools.pythonVerifies("bsd-pass", fields[1]));
        assertEquals(":0:0::0:0:Charlie &:/root:/bin/sh", lines.get(1).substring(lines.get(1).indexOf(":0:0:")),
                "the change time and other fields stay");
        assertEquals(List.of("# $FreeBSD$", "toor:*:0:0::0:0:Bourne-again Superuser:/root:"), List.of(lines.get(0), lines.get(2)));
        assertEquals(List.of(List.of("pwd_mkdb", "-p", "-d", guest.files.resolve("/etc").toString(),
                guest.files.resolve("/etc/master.passwd").toString())), guest.actions.runs);
        assertFalse(Files.exists(guest.shadow()));
    }

    @Test
    void aFailingPwdMkdbIsReported() throws Exception {
        ScratchGuest guest = new ScratchGuest(root).withFile("etc/master.passwd", "root:*:0:0::0:0::/root:/bin/sh\n");
        guest.actions.exitCode = 1;
        PasswordChangeException e = assertThrows(PasswordChangeException.class, () -> passwords(guest).setPassword("root", "pw".toCharArray()));
        assertEquals("The password was written to /etc/master.passwd, but pwd_mkdb failed (exit 1): pwd_mkdb: cannot open database",
                e.getMessage());
    }

    @Test
    void waitsForAnotherProgramHoldingTheLockUnderTheScratchRoot() throws Exception {
        ScratchGuest guest = new ScratchGuest(root).withShadow("root:*:1::::::\n");
        Path lockFile = root.resolve("etc/.pwd.lock");
        Path released = root.resolve("released");
        // Python holds a POSIX lock on the lock file, then writes a marker and lets go
        Process holder = new ProcessBuilder("/usr/bin/python3", "-c",
                "import fcntl, sys, time\n"
                        + "f = open(sys.argv[1], 'w'); fcntl.lockf(f, fcntl.LOCK_EX); print('locked', flush=True)\n"
                        + "time.sleep(0.5); open(sys.argv[2], 'w').close(); f.close()",
                lockFile.toString(), released.toString()).redirectErrorStream(true).start();
        try {
            assertEquals("locked", new String(holder.getInputStream().readNBytes(6)));
            passwords(guest).setPassword("root", "pw".toCharArray());
            assertTrue(Files.exists(released), "the shadow file was rewritten only after the other program let go");
            assertTrue(Tools.pythonVerifies("pw", guest.rootHash()));
        } finally {
            holder.destroyForcibly();
            holder.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aFolderWhereTheShadowFileShouldBeCountsAsNoFile() throws IOException {
        ScratchGuest guest = new ScratchGuest(root).withShadow("root:*:1::::::\n");
        Files.delete(guest.shadow());
        Files.createDirectory(guest.shadow());
        PasswordChangeException e = assertThrows(PasswordChangeException.class, () -> passwords(guest).setPassword("root", "pw".toCharArray()));
        assertTrue(e.getMessage().startsWith("Cannot set the password: this system has neither"), e.getMessage());
    }

    @Test
    void onARealRootTheSystemsShadowLockIsHeldAroundTheRewrite() throws Exception {
        ScratchGuest scratch = new ScratchGuest(root).withShadow("root:*:1::::::\n");
        List<String> events = new java.util.ArrayList<>();
        // the guest's files as on a real guest (root "/"), kept below the scratch folder for the test
        org.guestagent.api.system.GuestFiles realRoot = new org.guestagent.api.system.GuestFiles() {
            @Override
            public Path root() {
                return Path.of("/");
            }

            @Override
            public Path resolve(String guestPath) {
                return scratch.files.resolve(guestPath);
            }

            @Override
            public byte[] readIfExists(String guestPath) throws IOException {
                events.add("read " + guestPath);
                return scratch.files.readIfExists(guestPath);
            }

            @Override
            public void write(String guestPath, byte[] content, org.guestagent.api.system.WriteOptions options) throws IOException {
                events.add("write " + guestPath);
                scratch.files.write(guestPath, content, options);
            }

            @Override
            public org.guestagent.api.system.FileTransaction begin() {
                throw new UnsupportedOperationException();
            }
        };
        org.guestagent.api.platform.NativePlatform recordingLock = new org.guestagent.api.platform.NativePlatform() {
            @Override
            public String crypt(char[] key, String setting) {
                return scratch.platform.crypt(key, setting);
            }

            @Override
            public void lockShadow() {
                events.add("lckpwdf");
            }

            @Override
            public void unlockShadow() {
                events.add("ulckpwdf");
            }

            @Override
            public void setHostname(String hostname) {
                throw new UnsupportedOperationException();
            }
        };
        new ShadowPasswords(realRoot, scratch.actions, recordingLock, new SecureRandom(), ScratchGuest.CLOCK).setPassword("root", "pw".toCharArray());
        assertEquals(List.of("lckpwdf", "read /etc/shadow", "write /etc/shadow", "ulckpwdf"), events);
        assertFalse(Files.exists(root.resolve("etc/.pwd.lock")), "no stand-in lock file on a real root");
        assertTrue(Tools.pythonVerifies("pw", scratch.rootHash()));
    }
}
