package org.guestagent.commands.password;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.guestagent.platform.JnaNativePlatform;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An agent SIGKILLed at random points while it changes the password must leave /etc/shadow
 * complete: every other line intact, root's entry either the old one or a whole new hash.
 */
class CrashTest {

    /** The issue asks for 200; -Dcrash.kills=N changes it for a quick local run. */
    private static final int KILLS = Integer.getInteger("crash.kills", 200);

    @TempDir
    Path root;
    @TempDir
    Path warmUp;
    @TempDir
    Path jnaTemp;
    private final List<Process> started = new ArrayList<>();

    @Test
    void killedAtRandomPointsTheShadowFileIsAlwaysComplete() throws Exception {
        ScratchGuest guest = new ScratchGuest(root).withShadow(ScratchGuest.SHADOW_BEFORE);
        List<String> before = ScratchGuest.SHADOW_BEFORE.lines().toList();
        JnaNativePlatform crypt = new JnaNativePlatform();
        Random random = new Random();
        int changesSeen = 0;
        int killedMidway = 0;

        // the next child starts up (the slow part) while the current one is killed and checked
        Process next = startChild(0);
        try {
        for (int kill = 0; kill < KILLS; kill++) {
            Process child = next;
            next = kill + 1 < KILLS ? startChild(kill + 1) : null;
            try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream()))) {
                assertEquals("ready", out.readLine(), "the child started");
                child.getOutputStream().write("go\n".getBytes());
                child.getOutputStream().flush();
                Thread.sleep(random.nextInt(25)); // a random point in the loop of changes
                child.toHandle().destroyForcibly(); // SIGKILL on Unix; the output stays readable
                assertTrue(child.waitFor(30, TimeUnit.SECONDS));
                assertEquals(137, child.exitValue(), "killed, not finished or failed");
                String line;
                int changes = 0;
                while ((line = out.readLine()) != null) {
                    changes += line.equals("changed") ? 1 : 0;
                }
                changesSeen += changes;
                killedMidway += changes < 1000 ? 1 : 0;
            }

            // what any reader of /etc/shadow sees now
            List<String> after = guest.shadowText().lines().toList();
            assertEquals(before.size(), after.size(), "kill " + kill + ": a complete file");
            assertEquals(before.subList(1, before.size()), after.subList(1, after.size()), "kill " + kill + ": other lines intact");
            String rootLine = after.get(0);
            if (!rootLine.equals(before.get(0))) {
                String hash = rootLine.split(":", -1)[1];
                assertTrue(isWholeHashOfAKnownPassword(hash, crypt), "kill " + kill + ": root's hash is a whole hash of a password the agent set: " + rootLine);
                assertTrue(rootLine.endsWith(":" + ScratchGuest.TODAY + ":0:99999:7:::"), rootLine);
            }
            assertEquals(0640, (Integer) Files.getAttribute(guest.shadow(), "unix:mode") & 07777, "kill " + kill + ": mode kept");
        }
        } finally {
            started.forEach(p -> p.toHandle().destroyForcibly()); // none survives a failed assertion
        }
        assertTrue(changesSeen > 0, "the children got as far as changing the password");
        assertEquals(KILLS, killedMidway);

        // temporary files a killed writer left are never read as the shadow file, and expose nothing
        List<Path> leftovers = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(root.resolve("etc"))) {
            entries.forEach(leftovers::add);
        }
        for (Path leftover : leftovers) {
            String name = leftover.getFileName().toString();
            if (!name.equals("shadow") && !name.equals(".pwd.lock")) {
                assertTrue(name.startsWith(".shadow.tmp."), "unexpected file " + name);
                assertEquals(0640, (Integer) Files.getAttribute(leftover, "unix:mode") & 07777, name + " has the final mode");
            }
        }
        TestSession session = new TestSession("after");
        java.math.BigInteger secret = guest.keyinit(session);
        guest.commands.password(org.guestagent.api.command.CommandArgument.of(Tools.opensslEncrypt(secret, "after-crash\n".getBytes())),
                session.request());
        assertTrue(Tools.pythonVerifies("after-crash", guest.rootHash()));
        assertEquals(before.subList(1, before.size()), guest.shadowText().lines().toList().subList(1, before.size()));
    }

    /** Made by crypt(3) (the children with JNA) or by the stand-in (the others), for one of the two passwords. */
    private static boolean isWholeHashOfAKnownPassword(String hash, JnaNativePlatform crypt) {
        StandInCrypt standIn = new StandInCrypt();
        for (String password : PasswordChangeLoop.PASSWORDS) {
            if (hash.lastIndexOf('$') > 0 && standIn.crypt(password.toCharArray(), StandInCrypt.settingOf(hash)).equals(hash)) {
                return true;
            }
            if (crypt.crypt(password.toCharArray(), hash).equals(hash)) {
                return true;
            }
        }
        return false;
    }

    /**
     * A child agent on the scratch root; it warms up on a folder of its own, then waits for "go".
     * Every tenth uses the system's crypt(3) through JNA, the others a pure-Java stand-in that
     * starts about a quarter faster: the kills are about the file, and 200 JVMs must stay affordable.
     */
    private Process startChild(int number) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx64m",
                "-XX:-UsePerfData", "-Djna.tmpdir=" + jnaTemp, // a killed JVM leaves its unpacked JNA library here
                "-cp", System.getProperty("java.class.path"),
                PasswordChangeLoop.class.getName(), root.toString(), "1000", warmUp.resolve("child-" + number).toString(),
                number % 10 == 0 ? "native" : "java")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        started.add(child);
        return child;
    }
}
