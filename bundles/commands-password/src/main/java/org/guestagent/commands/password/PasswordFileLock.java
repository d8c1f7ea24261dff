package org.guestagent.commands.password;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

import org.guestagent.api.platform.NativePlatform;

/**
 * The lock held while the password file is rewritten, so that passwd, useradd or vipw never
 * interleave with us. On a real Linux root it is the system's own: lckpwdf(3). Under a scratch
 * root lckpwdf would lock the real /etc, so a POSIX lock on a file below the root stands in;
 * on FreeBSD, whose tools lock master.passwd itself, the password file is locked.
 */
abstract class PasswordFileLock implements AutoCloseable {

    /** glibc's lckpwdf gives up after 15 seconds; so does the file lock. */
    static final long WAIT_MILLIS = 15_000;

    @Override
    public abstract void close();

    static PasswordFileLock lckpwdf(NativePlatform platform) {
        platform.lockShadow();
        return new PasswordFileLock() {
            @Override
            public void close() {
                platform.unlockShadow();
            }
        };
    }

    /** A POSIX lock on the given file (created 0600 when missing), waiting at most 15 s. */
    static PasswordFileLock onFile(Path file) throws IOException {
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectories(file.getParent());
            try {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (java.nio.file.FileAlreadyExistsException e) {
                // another process made it first: fine
            }
        }
        // never through a link: under --root the tree may be a guest image
        FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
        try {
            long deadline = System.nanoTime() + WAIT_MILLIS * 1_000_000;
            FileLock lock;
            while ((lock = channel.tryLock()) == null) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("another program held the lock " + file + " for 15 seconds");
                }
                Thread.sleep(50);
            }
            FileLock held = lock;
            return new PasswordFileLock() {
                @Override
                public void close() {
                    try (channel) {
                        held.release();
                    } catch (IOException e) {
                        // closing the channel releases the lock in any case
                    }
                }
            };
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        } catch (InterruptedException e) {
            channel.close();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for the lock " + file);
        }
    }
}
