package org.guestagent.shell.listener;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The shell socket's folder, opened without following a symbolic link: each folder from a trusted
 * start (the --root folder when the socket lies below it, since that tree may be a guest image;
 * else the folder holding the socket's folder) is opened with O_NOFOLLOW through the JDK's
 * {@link SecureDirectoryStream}, and its mode is set on the open folder, not through its path.
 */
final class PrivateFolder implements Closeable {
    static final String LINK_REFUSED = "is a symbolic link; the agent never follows one to its own files";
    private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;

    private final SecureDirectoryStream<Path> folder;
    private final Path path;

    private PrivateFolder(SecureDirectoryStream<Path> folder, Path path) {
        this.folder = folder;
        this.path = path;
    }

    static PrivateFolder open(Path dir, Path root) throws IOException {
        Path path = dir.toAbsolutePath().normalize();
        Path confined = root == null ? null : root.toAbsolutePath().normalize();
        Path start = confined != null && confined.getParent() != null && path.startsWith(confined) && !path.equals(confined)
                ? confined : path.getParent();
        if (!Files.isDirectory(start)) {
            Files.createDirectories(start);
        }
        SecureDirectoryStream<Path> current = secure(Files.newDirectoryStream(start), start);
        Path at = start;
        try {
            for (Path name : start.relativize(path)) {
                at = at.resolve(name);
                BasicFileAttributes a = attributes(current, name);
                if (a == null) {
                    Files.createDirectory(at); // its folder was just checked
                } else if (a.isSymbolicLink()) {
                    throw new FileSystemException(at.toString(), null, LINK_REFUSED);
                } else if (!a.isDirectory()) {
                    throw new FileSystemException(at.toString(), null, "is not a folder");
                }
                SecureDirectoryStream<Path> next = current.newDirectoryStream(name, NOFOLLOW);
                current.close();
                current = next;
            }
            return new PrivateFolder(current, at);
        } catch (IOException | RuntimeException e) {
            current.close();
            throw e;
        }
    }

    /** 0700, on the open folder. */
    void makePrivate() throws IOException {
        folder.getFileAttributeView(PosixFileAttributeView.class).setPermissions(PosixFilePermissions.fromString("rwx------"));
    }

    /** Removes a socket left by a crash; a link in its place is refused. */
    void deleteStale(String name) throws IOException {
        BasicFileAttributes a = attributes(folder, Path.of(name));
        if (a == null) {
            return;
        }
        if (a.isSymbolicLink()) {
            throw new FileSystemException(path.resolve(name).toString(), null, LINK_REFUSED);
        }
        folder.deleteFile(Path.of(name));
    }

    @Override
    public void close() throws IOException {
        folder.close();
    }

    private static BasicFileAttributes attributes(SecureDirectoryStream<Path> folder, Path name) throws IOException {
        try {
            return folder.getFileAttributeView(name, BasicFileAttributeView.class, NOFOLLOW).readAttributes();
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    private static SecureDirectoryStream<Path> secure(DirectoryStream<Path> stream, Path path) throws IOException {
        if (stream instanceof SecureDirectoryStream<Path> secure) {
            return secure;
        }
        stream.close();
        throw new FileSystemException(path.toString(), null, "this system offers no secure folder access (openat)");
    }
}
