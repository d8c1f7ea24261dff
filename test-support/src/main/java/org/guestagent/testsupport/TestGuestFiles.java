package org.guestagent.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.guestagent.api.system.FileTransaction;
import org.guestagent.api.system.GuestFiles;
import org.guestagent.api.system.WriteOptions;

/** Guest files below a scratch root, without the atomic niceties of the real service. */
public final class TestGuestFiles implements GuestFiles {
    private final Path root;

    public TestGuestFiles(Path root) {
        this.root = root;
    }

    @Override
    public Path root() {
        return root;
    }

    @Override
    public Path resolve(String guestPath) {
        if (!guestPath.startsWith("/")) {
            throw new IllegalArgumentException("relative");
        }
        Path p = root.resolve(guestPath.substring(1)).normalize();
        if (!p.startsWith(root)) {
            throw new IllegalArgumentException("escapes");
        }
        return p;
    }

    @Override
    public byte[] readIfExists(String guestPath) throws IOException {
        Path p = resolve(guestPath);
        return Files.exists(p) ? Files.readAllBytes(p) : null;
    }

    @Override
    public void write(String guestPath, byte[] content, WriteOptions options) throws IOException {
        Path p = resolve(guestPath);
        Files.createDirectories(p.getParent());
        Files.write(p, content);
    }

    @Override
    public FileTransaction begin() {
        throw new UnsupportedOperationException();
    }
}
