package org.guestagent.api.system;

import java.io.IOException;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A set of file changes that land together: {@link #write} and {@link #delete} only stage;
 * {@link #commit} renames everything into place, keeping the previous versions as backups, and
 * puts the old set back if any step fails. Closing without commit discards the staged files.
 */
@ProviderType
public interface FileTransaction extends AutoCloseable {

    void write(String guestPath, byte[] content, WriteOptions options) throws IOException;

    void delete(String guestPath) throws IOException;

    void commit() throws IOException;

    @Override
    void close();
}
