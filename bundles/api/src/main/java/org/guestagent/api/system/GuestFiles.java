package org.guestagent.api.system;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.Set;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The guest's file system as commands must see it: every guest path is resolved below a root
 * folder ({@code /} on a real guest, a scratch folder with {@code --root}), and every change is
 * made atomically: staged beside the target, fsynced, renamed into place.
 * <p>
 * Reads and writes cannot be redirected by symbolic links: the folders are opened one at a time
 * from the root without the system following links; a link among them is followed only when it
 * belongs to root and leads to a place inside the root, and refused otherwise (a user could swap a
 * folder of theirs for a link at any moment). {@link #resolve} is lexical and gives no such
 * guarantee: use it for messages and read-only checks.
 */
@ProviderType
public interface GuestFiles {

    /** The folder that stands for the guest's {@code /}. */
    Path root();

    /**
     * Maps an absolute guest path such as {@code /etc/shadow} to the real path below the root.
     *
     * @throws IllegalArgumentException when the path is relative, holds NUL, or escapes the root
     */
    Path resolve(String guestPath);

    /** Reads a guest file, or returns null when it does not exist. */
    byte[] readIfExists(String guestPath) throws IOException;

    /**
     * Replaces (or creates) one file atomically: a temporary file beside the target with the final
     * mode from its creation, fsync, rename over the target, fsync of the folder. A symbolic link
     * at the target is replaced, never followed. Missing parent folders are created (0755), only
     * after every existing one has been checked. Owner and mode are set on the open file.
     */
    void write(String guestPath, byte[] content, WriteOptions options) throws IOException;

    /**
     * Opens a guest file as fopen(3) would, with the link rules of reads: no symbolic link among its
     * folders or at the file itself leads the open elsewhere, unless root owns it and it stays
     * inside the root. Missing folders are not made; a new file gets mode 0666 less the umask.
     *
     * @param options {@code READ}, {@code WRITE}, {@code CREATE} and {@code TRUNCATE_EXISTING}
     */
    default FileChannel open(String guestPath, Set<? extends OpenOption> options) throws IOException {
        throw new UnsupportedOperationException("These guest files cannot be opened as channels");
    }

    /** Starts a set of changes that land together or not at all. */
    FileTransaction begin();
}
