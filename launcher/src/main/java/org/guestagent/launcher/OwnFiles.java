package org.guestagent.launcher;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The agent's own files (pid file, log, bundle cache) never through a symbolic link. Below an
 * untrusted {@code --root} (a guest image), every folder from the root down must be a real folder;
 * elsewhere the folder the administrator chose is trusted and only what lies in it is checked.
 * Folders are opened with the JDK's {@link SecureDirectoryStream} (openat with O_NOFOLLOW), and
 * files are created, opened, renamed and deleted relative to that open folder.
 */
final class OwnFiles {
    static final String LINK_REFUSED = "is a symbolic link; the agent never follows one to its own files";
    private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;

    /** The untrusted tree, or null when the agent serves the real system. */
    private final Path root;

    OwnFiles(Path root) {
        Path absolute = root == null ? null : root.toAbsolutePath().normalize();
        this.root = absolute == null || absolute.getParent() == null ? null : absolute;
    }

    /** A folder opened without following links, and the path it was reached by. */
    record Folder(SecureDirectoryStream<Path> stream, Path path) implements Closeable {
        @Override
        public void close() throws IOException {
            stream.close();
        }

        /** The attributes of an entry, of a link itself; null when there is none. */
        BasicFileAttributes attributes(String name) throws IOException {
            try {
                return stream.getFileAttributeView(Path.of(name), BasicFileAttributeView.class, NOFOLLOW).readAttributes();
            } catch (NoSuchFileException e) {
                return null;
            }
        }

        /** Refuses a link at the entry, clearly. */
        BasicFileAttributes requireNoLink(String name) throws IOException {
            BasicFileAttributes a = attributes(name);
            if (a != null && a.isSymbolicLink()) {
                throw new FileSystemException(path.resolve(name).toString(), null, LINK_REFUSED);
            }
            return a;
        }
    }

    /** Opens (making it when missing) a folder for the agent's own files. */
    Folder folder(Path dir) throws IOException {
        Path path = dir.toAbsolutePath().normalize();
        Path anchor = root != null && path.startsWith(root) ? root : path;
        if (!Files.isDirectory(anchor)) {
            Files.createDirectories(anchor); // the administrator's choice: trusted
        }
        Folder current = new Folder(secure(Files.newDirectoryStream(anchor), anchor), anchor);
        try {
            for (Path name : anchor.relativize(path)) {
                if (name.toString().isEmpty()) {
                    continue;
                }
                BasicFileAttributes a = current.requireNoLink(name.toString());
                Path next = current.path().resolve(name);
                if (a == null) {
                    Files.createDirectory(next); // its folder was just checked
                } else if (!a.isDirectory()) {
                    throw new FileSystemException(next.toString(), null, "is not a folder");
                }
                Folder opened = new Folder(secure(current.stream().newDirectoryStream(name, NOFOLLOW), next), next);
                current.close();
                current = opened;
            }
            return current;
        } catch (IOException | RuntimeException e) {
            current.close();
            throw e;
        }
    }

    /** Opens a file of the agent's to append to, creating it with the given permissions. */
    SeekableByteChannel append(Path file, String permissions) throws IOException {
        try (Folder folder = folder(file.toAbsolutePath().getParent())) {
            String name = file.getFileName().toString();
            folder.requireNoLink(name);
            return folder.stream().newByteChannel(Path.of(name),
                    Set.of(StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE, NOFOLLOW),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(permissions)));
        }
    }

    /** Sets the permissions (and the group, unless null) of a file of the agent's, never through a link. */
    void restrict(Path file, String permissions, String group) throws IOException {
        try (Folder folder = folder(file.toAbsolutePath().getParent())) {
            String name = file.getFileName().toString();
            folder.requireNoLink(name);
            PosixFileAttributeView view = folder.stream().getFileAttributeView(Path.of(name), PosixFileAttributeView.class, NOFOLLOW);
            if (group != null) {
                view.setGroup(file.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName(group));
            }
            view.setPermissions(PosixFilePermissions.fromString(permissions)); // also when the umask narrowed the creation mode
        }
    }

    /** Reads a small file of the agent's, never through a link; null when it is missing. */
    static String readText(Path file) throws IOException {
        try (SeekableByteChannel channel = Files.newByteChannel(file, StandardOpenOption.READ, NOFOLLOW)) {
            ByteBuffer buffer = ByteBuffer.allocate(64);
            while (buffer.hasRemaining() && channel.read(buffer) > 0) {
                // a pid is short
            }
            return new String(buffer.array(), 0, buffer.position(), StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /**
     * Replaces a small file atomically: written to {@code name.tmp} (created exclusively, a stale
     * one removed first) and renamed over the file, both in the open folder. A link at either
     * name is refused.
     */
    void replace(Path file, String text) throws IOException {
        try (Folder folder = folder(file.toAbsolutePath().getParent())) {
            String name = file.getFileName().toString();
            Path tmp = Path.of(name + ".tmp");
            folder.requireNoLink(name);
            if (folder.requireNoLink(tmp.toString()) != null) {
                folder.stream().deleteFile(tmp); // left by a crash
            }
            Set<OpenOption> create = Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, NOFOLLOW);
            FileAttribute<?> mode = PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--"));
            try (SeekableByteChannel out = folder.stream().newByteChannel(tmp, create, mode)) {
                ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
                while (bytes.hasRemaining()) {
                    out.write(bytes);
                }
            }
            folder.stream().move(tmp, folder.stream(), Path.of(name));
        }
    }

    /**
     * Writes a small file in place (opened without following a link, created when missing): for
     * the start script's ready file, which lies in a folder anyone may write (/tmp), where a
     * predictable {@code .tmp} name beside it could be taken by someone else.
     */
    void overwrite(Path file, String text) throws IOException {
        try (Folder folder = folder(file.toAbsolutePath().getParent())) {
            String name = file.getFileName().toString();
            folder.requireNoLink(name);
            Set<OpenOption> open = Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING, NOFOLLOW);
            FileAttribute<?> mode = PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
            try (SeekableByteChannel out = folder.stream().newByteChannel(Path.of(name), open, mode)) {
                ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
                while (bytes.hasRemaining()) {
                    out.write(bytes);
                }
            }
        }
    }

    /** Deletes a folder of the agent's and all in it, by handles: a link inside is removed, never followed. */
    void deleteTree(Path dir) throws IOException {
        Path path = dir.toAbsolutePath().normalize();
        try (Folder parent = folder(path.getParent())) {
            String name = path.getFileName().toString();
            BasicFileAttributes a = parent.requireNoLink(name);
            if (a == null) {
                return;
            }
            if (!a.isDirectory()) {
                throw new FileSystemException(path.toString(), null, "is not a folder");
            }
            deleteTree(parent.stream(), Path.of(name));
        }
    }

    private static void deleteTree(SecureDirectoryStream<Path> parent, Path name) throws IOException {
        try (SecureDirectoryStream<Path> folder = parent.newDirectoryStream(name, NOFOLLOW)) {
            List<Path> entries = new ArrayList<>();
            for (Path entry : folder) {
                entries.add(entry.getFileName());
            }
            for (Path entry : entries) {
                BasicFileAttributes a = folder.getFileAttributeView(entry, BasicFileAttributeView.class, NOFOLLOW).readAttributes();
                if (a.isDirectory()) {
                    deleteTree(folder, entry);
                } else {
                    folder.deleteFile(entry);
                }
            }
        }
        parent.deleteDirectory(name);
    }

    private static SecureDirectoryStream<Path> secure(DirectoryStream<Path> stream, Path path) throws IOException {
        if (stream instanceof SecureDirectoryStream<Path> secure) {
            return secure;
        }
        stream.close();
        throw new FileSystemException(path.toString(), null, "this system offers no secure folder access (openat)");
    }
}
