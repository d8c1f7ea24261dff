package org.guestagent.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrustedFilesTest {
    @TempDir
    Path dir;

    private final TrustedFiles trust = TrustedFiles.ofThisProcess();

    @Test
    void ownFileWritableByItsOwnerOnlyIsTrusted() throws Exception {
        Path file = Files.writeString(dir.resolve("a.cfg"), "a=1\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        assertNull(trust.problem(file));
    }

    @Test
    void groupOrOtherWriteIsRefused() throws Exception {
        Path file = Files.writeString(dir.resolve("a.cfg"), "a=1\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-r--"));
        assertEquals("writable by group or others (mode 0664)", trust.problem(file));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--rw-"));
        assertEquals("writable by group or others (mode 0646)", trust.problem(file));
    }

    @Test
    void anotherOwnerIsRefusedAndALinkIsJudgedByItsTarget() throws Exception {
        Path file = Files.writeString(dir.resolve("a.jar"), "x");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        TrustedFiles otherUser = new TrustedFiles(12345);
        assertTrue(otherUser.problem(file).startsWith("owned by "), otherUser.problem(file));
        Path link = Files.createSymbolicLink(dir.resolve("link.jar"), file);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-rw-"));
        assertEquals("writable by group or others (mode 0666)", trust.problem(link));
    }

    @Test
    void distributionProblemsNameEveryBadFileOfBundlesAndLib() throws Exception {
        Path home = Files.createDirectories(dir.resolve("home"));
        for (String folder : List.of("bundles", "lib", "config", "deploy", "features")) {
            Files.createDirectories(home.resolve(folder));
        }
        Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path features = Files.writeString(home.resolve("features/features.xml"), "<features/>");
        Path good = Files.writeString(home.resolve("bundles/good.jar"), "x");
        Path bad = Files.writeString(home.resolve("lib/bad.jar"), "x");
        Files.setPosixFilePermissions(good, PosixFilePermissions.fromString("rw-r--r--"));
        Files.setPosixFilePermissions(bad, PosixFilePermissions.fromString("rw-rw-rw-"));
        Files.setPosixFilePermissions(features, PosixFilePermissions.fromString("rw-r--r--"));
        for (String folder : List.of("bundles", "lib", "config", "deploy", "features")) {
            Files.setPosixFilePermissions(home.resolve(folder), PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        List<String> problems = trust.distributionProblems(home, home.resolve("config"), home.resolve("deploy"), features, List.of());
        assertEquals(List.of(bad + " is writable by group or others (mode 0666)"), problems);
    }
}
