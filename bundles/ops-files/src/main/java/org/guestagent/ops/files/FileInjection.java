package org.guestagent.ops.files;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Writes a file the host pushes into the guest, for any protocol's adapter (nova's
 * {@code injectfile} and {@code file_inject}): below the guest root, never through a symbolic link
 * an ordinary user owns, an existing file's owner and mode kept, new files 0644 and files below a
 * {@code .ssh} folder 0600 in a 0700 folder owned by the home folder's owner, with backups of the
 * replaced file as configured.
 */
@ProviderType
public interface FileInjection {

    /**
     * Writes the contents to the guest path (absolute, as the guest sees it).
     *
     * @throws FileInjectionException when the file could not be written; its message says why, for
     *         the host to read, and holds none of the contents
     */
    void inject(String guestPath, byte[] contents) throws FileInjectionException;
}
