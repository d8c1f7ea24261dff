package org.guestagent.ops.files.safe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.guestagent.ops.files.FileInjection;
import org.guestagent.ops.files.FileInjectionException;
import org.guestagent.system.LocalGuestFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The file-injection operation on its own, without any protocol (the nova adapter's tests cover the rest). */
class SafeFileInjectionTest {

    @TempDir
    Path scratch;

    @Test
    void writesBelowTheRootWithTheModesOfInjection() throws Exception {
        Path root = Files.createDirectory(scratch.resolve("root")).toRealPath();
        FileInjection injection = new SafeFileInjection(new LocalGuestFiles(root), 0);
        injection.inject("/etc/motd", "hello\n".getBytes());
        assertArrayEquals("hello\n".getBytes(), Files.readAllBytes(root.resolve("etc/motd")));
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve("etc/motd"))));

        injection.inject("/root/.ssh/authorized_keys", "ssh-ed25519 AAAA key\n".getBytes());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve("root/.ssh/authorized_keys"))));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve("root/.ssh"))));
    }

    @Test
    void failuresAreTheOperationsOwnWithASentenceForTheHost() throws IOException {
        Path root = Files.createDirectory(scratch.resolve("root")).toRealPath();
        Files.createDirectories(root.resolve("etc/conf.d"));
        FileInjection injection = new SafeFileInjection(new LocalGuestFiles(root), 1);
        FileInjectionException folder = assertThrows(FileInjectionException.class, () -> injection.inject("/etc/conf.d", new byte[1]));
        assertEquals("The path /etc/conf.d is a folder, not a file", folder.getMessage());
        Files.createSymbolicLink(root.resolve("etc/elsewhere"), scratch);
        assertThrows(FileInjectionException.class, () -> injection.inject("/etc/elsewhere/x", new byte[1]));
        assertEquals(false, Files.exists(scratch.resolve("x")), "nothing written through the link");
    }
}
