package org.guestagent.system;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

import org.guestagent.api.system.WriteOptions;

/**
 * The steps of an atomic file write, shared by single writes and transactions: stage a hidden
 * temporary file beside the target (final mode, owner, content, fsync), rename it in, fsync the
 * folder, and keep timestamped backups.
 */
final class FileStager {

    private static final System.Logger LOG = System.getLogger(FileStager.class.getName());
    private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};
    private static final DateTimeFormatter BACKUP_STAMP = DateTimeFormatter.ofPattern("yyyyMMddHHmmssSSS");
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final long STALE_TEMP_MILLIS = 60_000;

    private final Path root;

    FileStager(Path root) {
        this.root = root;
    }

    /**
     * Writes the content to a new hidden file beside the target, with the mode and owner the
     * target will have, fsynced. The caller renames it in or deletes it.
     */
    Path stage(Path target, byte[] content, WriteOptions options) throws IOException {
        Path dir = target.getParent();
        createFolders(dir);
        if (!dir.toRealPath().startsWith(root.toRealPath())) {
            // a symbolic link among the parent folders leads outside the root
            throw new IOException("a symbolic link among its folders leads outside the root folder " + root);
        }
        boolean existing = Files.isRegularFile(target, NOFOLLOW);
        int mode = existing && !options.forceMode() ? modeOf(target) : options.mode();

        removeStaleTemps(target);
        Path temp = dir.resolve("." + target.getFileName() + ".tmp." + randomSuffix());
        // created with no more than the final permissions, so the content is never exposed
        Files.createFile(temp, PosixFilePermissions.asFileAttribute(permissions(mode)));
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.wrap(content);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            setOwner(temp, existing ? target : null);
            // after chown (which clears set-id bits) and past the umask: the exact mode
            Files.setAttribute(temp, "unix:mode", mode, NOFOLLOW);
            return temp;
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temp);
            throw e;
        }
    }

    /** Renames a staged file over the target; a symbolic link at the target is replaced. */
    void moveIn(Path temp, Path target) throws IOException {
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Makes the renames in a folder durable. */
    void syncFolder(Path dir) {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "Could not fsync folder " + dir + ": " + e.getMessage());
        }
    }

    /**
     * Keeps the current target (a regular file) under {@code name.bak.<timestamp>} by a hard link
     * (a copy where links are not possible), then deletes all but the newest {@code keep} backups.
     */
    void backup(Path target, int keep) throws IOException {
        if (keep <= 0 || !Files.isRegularFile(target, NOFOLLOW)) {
            return;
        }
        Path backup = freeBackupName(target);
        linkOrCopy(target, backup);
        pruneBackups(target, keep);
    }

    /** Moves an already kept previous version (see {@link #keepAside}) to a backup name. */
    void promoteToBackup(Path kept, Path target, int keep) throws IOException {
        Files.move(kept, freeBackupName(target), StandardCopyOption.ATOMIC_MOVE);
        pruneBackups(target, keep);
    }

    /** Keeps the target (file or symbolic link) under a hidden name so it can be put back. */
    Path keepAside(Path target) throws IOException {
        Path kept = target.resolveSibling("." + target.getFileName() + ".old." + randomSuffix());
        linkOrCopy(target, kept);
        return kept;
    }

    /**
     * Deletes temporary files of the target that an agent killed mid-write left behind (each may
     * hold a full copy of a file such as /etc/shadow). Young ones may belong to a write under way.
     */
    void removeStaleTemps(Path target) throws IOException {
        long staleBefore = System.currentTimeMillis() - STALE_TEMP_MILLIS;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(target.getParent(),
                "." + target.getFileName() + ".tmp.*")) {
            for (Path entry : entries) {
                if (Files.getLastModifiedTime(entry, NOFOLLOW).toMillis() < staleBefore) {
                    LOG.log(System.Logger.Level.INFO, "Removing {0}, left by an interrupted write", entry);
                    Files.deleteIfExists(entry);
                }
            }
        }
    }

    void pruneBackups(Path target, int keep) throws IOException {
        String prefix = target.getFileName() + ".bak.";
        List<Path> backups = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(target.getParent(), prefix + "*")) {
            for (Path entry : entries) {
                String stamp = entry.getFileName().toString().substring(prefix.length());
                if (stamp.length() == 17 && stamp.chars().allMatch(Character::isDigit)) {
                    backups.add(entry);
                }
            }
        }
        backups.sort(Comparator.comparing((Path p) -> p.getFileName().toString()).reversed());
        for (Path old : backups.subList(Math.min(keep, backups.size()), backups.size())) {
            Files.deleteIfExists(old);
        }
    }

    /** Creates missing folders one by one with mode 0755 (not left to the umask). */
    void createFolders(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        createFolders(dir.getParent());
        try {
            Files.createDirectory(dir);
            Files.setAttribute(dir, "unix:mode", 0755);
        } catch (FileAlreadyExistsException e) {
            if (!Files.isDirectory(dir)) {
                throw new IOException(dir + " exists and is not a folder");
            }
        }
    }

    static int modeOf(Path file) throws IOException {
        return ((Integer) Files.getAttribute(file, "unix:mode", NOFOLLOW)) & 07777;
    }

    static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> result = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] bits = PosixFilePermission.values(); // OWNER_READ .. OTHERS_EXECUTE
        for (int i = 0; i < 9; i++) {
            if ((mode & (0400 >> i)) != 0) {
                result.add(bits[i]);
            }
        }
        return result;
    }

    static boolean runningAsRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** Owner and group of the existing file; root:root for a new file when we are root. */
    private static void setOwner(Path temp, Path existing) throws IOException {
        int uid = existing == null ? 0 : (Integer) Files.getAttribute(existing, "unix:uid", NOFOLLOW);
        int gid = existing == null ? 0 : (Integer) Files.getAttribute(existing, "unix:gid", NOFOLLOW);
        if (!runningAsRoot()) {
            return; // only root may give a file away; the file stays ours
        }
        Files.setAttribute(temp, "unix:uid", uid, NOFOLLOW);
        Files.setAttribute(temp, "unix:gid", gid, NOFOLLOW);
    }

    private static Path freeBackupName(Path target) {
        LocalDateTime time = LocalDateTime.now();
        for (int i = 0; i < 1000; i++) {
            Path candidate = target.resolveSibling(target.getFileName() + ".bak." + BACKUP_STAMP.format(time));
            if (!Files.exists(candidate, NOFOLLOW)) {
                return candidate;
            }
            time = time.plusNanos(1_000_000); // two backups in one millisecond: next free stamp
        }
        throw new IllegalStateException("no free backup name for " + target);
    }

    private static void linkOrCopy(Path source, Path copy) throws IOException {
        try {
            Files.createLink(copy, source);
        } catch (IOException | UnsupportedOperationException e) {
            Files.copy(source, copy, LinkOption.NOFOLLOW_LINKS, StandardCopyOption.COPY_ATTRIBUTES);
        }
    }

    private static String randomSuffix() {
        byte[] bytes = new byte[6];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }
}
