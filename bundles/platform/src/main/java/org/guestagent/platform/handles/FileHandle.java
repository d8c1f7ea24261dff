package org.guestagent.platform.handles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Platform;

/**
 * An open folder, file or symbolic link (a file descriptor), and the {@code *at} calls of Linux
 * relative to it. A name given to a handle is one path component, looked up in the folder the
 * handle holds open (wherever that folder has been moved meanwhile), and never followed when it
 * is a symbolic link. Owner and mode are set on the open file, not through a path. Attributes
 * and listings are read through {@code /proc/self/fd/N}, which leads to the open folder itself.
 */
public final class FileHandle implements AutoCloseable {

    /** Mode bits of the file type (S_IFMT) and the three types we tell apart. */
    public static final int TYPE_MASK = 0170000;
    public static final int TYPE_FOLDER = 0040000;
    public static final int TYPE_FILE = 0100000;
    public static final int TYPE_LINK = 0120000;

    private static final int O_RDONLY = 0;
    private static final int O_WRONLY = 01;
    private static final int O_CREAT = 0100;
    private static final int O_EXCL = 0200;
    private static final int O_APPEND = 02000;
    private static final int O_NONBLOCK = 04000;
    private static final int O_CLOEXEC = 02000000;
    private static final int O_PATH = 010000000;
    private static final int AT_REMOVEDIR = 0x200;
    /** O_DIRECTORY and O_NOFOLLOW differ by architecture: arm and powerpc have their own values. */
    private static final int O_DIRECTORY;
    private static final int O_NOFOLLOW;

    static {
        boolean armOrPower = Platform.isARM() || Platform.isPPC();
        O_DIRECTORY = armOrPower ? 040000 : 0200000;
        O_NOFOLLOW = armOrPower ? 0100000 : 0400000;
    }

    private static final int ENOENT = 2;
    private static final int EPERM = 1;
    private static final int EACCES = 13;
    private static final int EEXIST = 17;
    private static final int ENOTDIR = 20;
    private static final int ELOOP = 40;

    /** The calls of the C library used here; each throws LastErrorException with errno on failure. */
    interface LibC extends Library {
        int open(String path, int flags, int mode) throws LastErrorException;

        int openat(int dirfd, String path, int flags, int mode) throws LastErrorException;

        int close(int fd) throws LastErrorException;

        int mkdirat(int dirfd, String path, int mode) throws LastErrorException;

        int fchown(int fd, int uid, int gid) throws LastErrorException;

        int fchmod(int fd, int mode) throws LastErrorException;

        int fsync(int fd) throws LastErrorException;

        int renameat(int olddirfd, String oldpath, int newdirfd, String newpath) throws LastErrorException;

        int linkat(int olddirfd, String oldpath, int newdirfd, String newpath, int flags) throws LastErrorException;

        int unlinkat(int dirfd, String path, int flags) throws LastErrorException;

        NativeLong readlinkat(int dirfd, String path, byte[] buffer, NativeLong size) throws LastErrorException;

        NativeLong write(int fd, byte[] buffer, NativeLong count) throws LastErrorException;

        NativeLong read(int fd, byte[] buffer, NativeLong count) throws LastErrorException;

        String strerror(int errno);
    }

    private static volatile LibC libc;

    private final int fd;
    /** What the handle was opened as, for messages. */
    private final String description;
    private boolean closed;

    private FileHandle(int fd, String description) {
        this.fd = fd;
        this.description = description;
    }

    private static LibC libc() {
        LibC loaded = libc;
        if (loaded == null) {
            if (!Platform.isLinux()) {
                throw new UnsupportedOperationException("Symbolic-link-safe file access needs Linux (openat, O_NOFOLLOW, /proc/self/fd)");
            }
            loaded = Native.load(Platform.C_LIBRARY_NAME, LibC.class);
            libc = loaded;
        }
        return loaded;
    }

    /** Opens a folder by its absolute path, following links: the start, which the caller trusts. */
    public static FileHandle openFolder(Path folder) throws IOException {
        String path = folder.toAbsolutePath().toString();
        try {
            return new FileHandle(libc().open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0), path);
        } catch (LastErrorException e) {
            throw failure(e, path);
        }
    }

    /** Opens the folder {@code name}; fails (ELOOP, "is a symbolic link") when it is a link. */
    public FileHandle folder(String name) throws IOException {
        try {
            return openAt(name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);
        } catch (NotDirectoryException e) {
            // Linux answers ENOTDIR for a link with O_DIRECTORY | O_NOFOLLOW: say which it was
            Attributes entry = attributes(name);
            throw new FileSystemException(child(name), null, entry != null && entry.isLink() ? "is a symbolic link" : "Not a directory");
        }
    }

    /** Opens the file {@code name} for reading, not following a link (nor waiting on a FIFO). */
    public FileHandle openToRead(String name) throws IOException {
        return openAt(name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK, 0);
    }

    /** Creates the file {@code name}, which must not exist (not even as a link), for writing. */
    public FileHandle createNew(String name, int mode) throws IOException {
        return openAt(name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
    }

    /** Opens (or creates) the file {@code name} for appending, never through a link. */
    public FileHandle openToAppend(String name, int mode) throws IOException {
        return openAt(name, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW, mode);
    }

    /**
     * Opens the file {@code name}, never through a link, to be reopened through {@link #procPath()}
     * with the access wanted: with {@code create}, made (mode less the umask) when missing and
     * opened for writing; else opened as a path only (O_PATH), so that neither access nor a FIFO
     * is touched yet.
     */
    public FileHandle openFile(String name, boolean create, int mode) throws IOException {
        return create ? openAt(name, O_WRONLY | O_CREAT | O_NOFOLLOW, mode) : openAt(name, O_PATH | O_NOFOLLOW, 0);
    }

    /** Opens the symbolic link {@code name} itself (O_PATH), e.g. to read it. */
    public FileHandle link(String name) throws IOException {
        return openAt(name, O_PATH | O_NOFOLLOW, 0);
    }

    private FileHandle openAt(String name, int flags, int mode) throws IOException {
        checkName(name);
        try {
            return new FileHandle(libc().openat(fd, name, flags | O_CLOEXEC, mode), child(name));
        } catch (LastErrorException e) {
            throw failure(e, child(name));
        }
    }

    /** Creates the folder {@code name} (the umask applies to the mode). */
    public void createFolder(String name, int mode) throws IOException {
        checkName(name);
        try {
            libc().mkdirat(fd, name, mode);
        } catch (LastErrorException e) {
            throw failure(e, child(name));
        }
    }

    /** The attributes of what this handle holds open. */
    public Attributes attributes() throws IOException {
        return Attributes.read(procPath(), true);
    }

    /** The attributes of the entry {@code name} (of a link itself), or null when there is none. */
    public Attributes attributes(String name) throws IOException {
        checkName(name);
        try {
            return Attributes.read(procPath().resolve(name), false);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** The names in this folder. */
    public List<String> names() throws IOException {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(procPath())) {
            for (Path entry : entries) {
                names.add(entry.getFileName().toString());
            }
        }
        return names;
    }

    /** The text of the symbolic link {@code name} in this folder. */
    public String readLink(String name) throws IOException {
        checkName(name);
        byte[] buffer = new byte[4096];
        try {
            int length = libc().readlinkat(fd, name, buffer, new NativeLong(buffer.length)).intValue();
            if (length >= buffer.length) {
                throw new FileSystemException(child(name), null, "the symbolic link is too long");
            }
            return new String(buffer, 0, length, StandardCharsets.UTF_8);
        } catch (LastErrorException e) {
            throw failure(e, child(name));
        }
    }

    public void setOwner(int uid, int gid) throws IOException {
        try {
            libc().fchown(fd, uid, gid);
        } catch (LastErrorException e) {
            throw failure(e, description);
        }
    }

    /** Sets the exact mode (set-id and sticky bits included), past the umask. */
    public void setMode(int mode) throws IOException {
        try {
            libc().fchmod(fd, mode & 07777);
        } catch (LastErrorException e) {
            throw failure(e, description);
        }
    }

    public void sync() throws IOException {
        try {
            libc().fsync(fd);
        } catch (LastErrorException e) {
            throw failure(e, description);
        }
    }

    public void write(byte[] content) throws IOException {
        write(content, 0, content.length);
    }

    public void write(byte[] content, int offset, int length) throws IOException {
        int done = 0;
        while (done < length) {
            byte[] chunk = offset + done == 0 && length == content.length ? content
                    : Arrays.copyOfRange(content, offset + done, offset + length);
            try {
                done += libc().write(fd, chunk, new NativeLong(chunk.length)).intValue();
            } catch (LastErrorException e) {
                throw failure(e, description);
            }
        }
    }

    /** Reads the file from its current position to the end. */
    public byte[] readAll() throws IOException {
        byte[] buffer = new byte[65536];
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        while (true) {
            int n;
            try {
                n = libc().read(fd, buffer, new NativeLong(buffer.length)).intValue();
            } catch (LastErrorException e) {
                throw failure(e, description);
            }
            if (n <= 0) {
                return out.toByteArray();
            }
            out.write(buffer, 0, n);
        }
    }

    /** Renames {@code from} in this folder to {@code to} in {@code folder}, replacing what is there. */
    public void rename(String from, FileHandle folder, String to) throws IOException {
        checkName(from);
        checkName(to);
        try {
            libc().renameat(fd, from, folder.fd, to);
        } catch (LastErrorException e) {
            throw failure(e, child(from));
        }
    }

    /** Makes {@code to} in {@code folder} a hard link to {@code existing} in this folder (a link is not followed). */
    public void hardLink(String existing, FileHandle folder, String to) throws IOException {
        checkName(existing);
        checkName(to);
        try {
            libc().linkat(fd, existing, folder.fd, to, 0);
        } catch (LastErrorException e) {
            throw failure(e, folder.child(to));
        }
    }

    /** Deletes the entry {@code name} (a file or link, never what a link points to). */
    public void delete(String name) throws IOException {
        unlink(name, 0);
    }

    /** Deletes the empty folder {@code name}. */
    public void deleteFolder(String name) throws IOException {
        unlink(name, AT_REMOVEDIR);
    }

    /** Deletes the entry {@code name} if there is one; true when it did. */
    public boolean deleteIfExists(String name) throws IOException {
        try {
            delete(name);
            return true;
        } catch (NoSuchFileException e) {
            return false;
        }
    }

    private void unlink(String name, int flags) throws IOException {
        checkName(name);
        try {
            libc().unlinkat(fd, name, flags);
        } catch (LastErrorException e) {
            throw failure(e, child(name));
        }
    }

    /** The path the handle was opened as (it may have moved since): for messages only. */
    public String description() {
        return description;
    }

    /** A path that leads to the open file itself: {@code /proc/self/fd/N}. */
    public Path procPath() {
        if (closed) {
            throw new IllegalStateException(description + " is closed");
        }
        return Path.of("/proc/self/fd/" + fd);
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            try {
                libc().close(fd);
            } catch (LastErrorException e) {
                // nothing left to do with it
            }
        }
    }

    private String child(String name) {
        return description.endsWith("/") ? description + name : description + "/" + name;
    }

    private static void checkName(String name) {
        if (name.isEmpty() || name.equals(".") || name.equals("..") || name.indexOf('/') >= 0 || name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("Not a single file name: " + name);
        }
    }

    /** errno as the IOException the JDK would throw, with the C library's text as reason. */
    private static IOException failure(LastErrorException e, String path) {
        int errno = e.getErrorCode();
        String reason;
        try {
            reason = libc().strerror(errno);
        } catch (RuntimeException | UnsatisfiedLinkError ignored) {
            reason = "errno " + errno;
        }
        return switch (errno) {
            case ENOENT -> new NoSuchFileException(path, null, reason);
            case EEXIST -> new FileAlreadyExistsException(path, null, reason);
            case EPERM, EACCES -> new AccessDeniedException(path, null, reason);
            case ENOTDIR -> new NotDirectoryException(path);
            case ELOOP -> new FileSystemException(path, null, "is a symbolic link");
            default -> new FileSystemException(path, null, reason);
        };
    }

    /** Type, mode, owner and times of a file, a folder or a link. */
    public record Attributes(int mode, int uid, int gid, long inode, FileTime modified, FileTime changed) {

        static Attributes read(Path path, boolean follow) throws IOException {
            LinkOption[] options = follow ? new LinkOption[0] : new LinkOption[] {LinkOption.NOFOLLOW_LINKS};
            Map<String, Object> a = Files.readAttributes(path, "unix:mode,uid,gid,ino,ctime,lastModifiedTime", options);
            return new Attributes((Integer) a.get("mode"), (Integer) a.get("uid"), (Integer) a.get("gid"),
                    (Long) a.get("ino"), (FileTime) a.get("lastModifiedTime"), (FileTime) a.get("ctime"));
        }

        public boolean isFolder() {
            return (mode & TYPE_MASK) == TYPE_FOLDER;
        }

        public boolean isFile() {
            return (mode & TYPE_MASK) == TYPE_FILE;
        }

        public boolean isLink() {
            return (mode & TYPE_MASK) == TYPE_LINK;
        }

        /** The permission, set-id and sticky bits. */
        public int permissions() {
            return mode & 07777;
        }
    }
}
