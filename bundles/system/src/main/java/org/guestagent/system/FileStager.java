package org.guestagent.system;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;

import org.guestagent.api.system.WriteOptions;
import org.guestagent.platform.handles.FileHandle;
import org.guestagent.platform.handles.FileHandle.Attributes;

/**
 * The steps of an atomic file write, shared by single writes and transactions, all on open
 * folder handles (see {@link FolderWalk}): stage a hidden temporary file beside the target (final
 * mode, owner, content, fsync), rename it in, fsync the folder, and keep timestamped backups.
 * Nothing here goes through a path the guest's users could redirect.
 */
final class FileStager {

    private static final System.Logger LOG = System.getLogger(FileStager.class.getName());
    private static final DateTimeFormatter BACKUP_STAMP = DateTimeFormatter.ofPattern("yyyyMMddHHmmssSSS");
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final long STALE_TEMP_MILLIS = 60_000;

    /** A file staged beside its target: the open folder, the target's name, the temporary's name. */
    record Staged(FileHandle folder, String name, String temp) {
    }

    private final FolderWalk walk;

    FileStager(FolderWalk walk) {
        this.walk = walk;
    }

    /** Opens the folder of a target, creating missing folders (0755, or private: 0700 for the holder's owner). */
    FolderWalk.Found folderOf(List<String> folders, WriteOptions options) throws IOException {
        return walk.open(folders, (made, holder, last) -> {
            if (last && options.privateFolder()) {
                Attributes owner = holder.attributes();
                giveTo(made, owner.uid(), owner.gid());
                made.setMode(0700);
            } else {
                made.setMode(0755);
            }
        });
    }

    /** Opens the folder of a target; a missing one is a NoSuchFileException. */
    FolderWalk.Found existingFolderOf(List<String> folders) throws IOException {
        return walk.open(folders, null);
    }

    /**
     * Writes the content to a new hidden file beside the target, with the mode and owner the
     * target will have, fsynced. The caller renames it in or deletes it.
     *
     * @param found the target's folder, from {@link #folderOf}
     */
    Staged stage(FolderWalk.Found found, String name, byte[] content, WriteOptions options) throws IOException {
        FileHandle dir = found.folder();
        Attributes existing = dir.attributes(name); // a folder there makes the rename fail
        boolean existingFile = existing != null && existing.isFile();
        int mode = existingFile && !options.forceMode() ? existing.permissions() : options.mode();

        removeStaleTemps(dir, name);
        String temp = "." + name + ".tmp." + randomSuffix();
        // created with no more than the final permissions, so the content is never exposed
        try (FileHandle file = dir.createNew(temp, mode & 0777)) {
            file.write(content);
            if (existingFile) {
                giveTo(file, existing.uid(), existing.gid());
            } else if (options.privateFolder() && found.holder() != null) {
                Attributes folderOwner = found.holder().attributes();
                giveTo(file, folderOwner.uid(), folderOwner.gid());
            } else {
                giveTo(file, 0, 0);
            }
            // after chown (which clears set-id bits) and past the umask: the exact mode
            file.setMode(mode);
            file.sync();
            return new Staged(dir, name, temp);
        } catch (IOException | RuntimeException e) {
            deleteQuietly(dir, temp);
            throw e;
        }
    }

    /** Renames a staged file over the target; a symbolic link at the target is replaced. */
    void moveIn(Staged staged) throws IOException {
        staged.folder().rename(staged.temp(), staged.folder(), staged.name());
    }

    /** Makes the renames in a folder durable. */
    void syncFolder(FileHandle dir) {
        try {
            dir.sync();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "Could not fsync folder " + dir.description() + ": " + e.getMessage());
        }
    }

    /**
     * Keeps the current target (a regular file) under {@code name.bak.<timestamp>} by a hard link
     * (a copy where links are not possible), then deletes all but the newest {@code keep} backups.
     */
    void backup(FileHandle dir, String name, int keep) throws IOException {
        Attributes target = dir.attributes(name);
        if (keep <= 0 || target == null || !target.isFile()) {
            return;
        }
        linkOrCopy(dir, name, freeBackupName(dir, name));
        pruneBackups(dir, name, keep);
    }

    /** Moves an already kept previous version (see {@link #keepAside}) to a backup name. */
    void promoteToBackup(FileHandle dir, String kept, String name, int keep) throws IOException {
        dir.rename(kept, dir, freeBackupName(dir, name));
        pruneBackups(dir, name, keep);
    }

    /** Keeps the target (file or symbolic link) under a hidden name so it can be put back. */
    String keepAside(FileHandle dir, String name) throws IOException {
        String kept = "." + name + ".old." + randomSuffix();
        linkOrCopy(dir, name, kept);
        return kept;
    }

    /**
     * Deletes temporary files of the target that an agent killed mid-write left behind (each may
     * hold a full copy of a file such as /etc/shadow). Young ones may belong to a write under way.
     */
    void removeStaleTemps(FileHandle dir, String name) throws IOException {
        long staleBefore = System.currentTimeMillis() - STALE_TEMP_MILLIS;
        String prefix = "." + name + ".tmp.";
        for (String entry : dir.names()) {
            if (entry.startsWith(prefix)) {
                Attributes a = dir.attributes(entry);
                if (a != null && a.modified().toMillis() < staleBefore) {
                    LOG.log(System.Logger.Level.INFO, "Removing {0}, left by an interrupted write", dir.description() + "/" + entry);
                    dir.deleteIfExists(entry);
                }
            }
        }
    }

    void pruneBackups(FileHandle dir, String name, int keep) throws IOException {
        String prefix = name + ".bak.";
        List<String> backups = new ArrayList<>();
        for (String entry : dir.names()) {
            if (entry.startsWith(prefix)) {
                String stamp = entry.substring(prefix.length());
                if (stamp.length() == 17 && stamp.chars().allMatch(Character::isDigit)) {
                    backups.add(entry);
                }
            }
        }
        backups.sort(Comparator.<String>naturalOrder().reversed());
        for (String old : backups.subList(Math.min(keep, backups.size()), backups.size())) {
            dir.deleteIfExists(old);
        }
    }

    static void deleteQuietly(FileHandle dir, String name) {
        try {
            dir.deleteIfExists(name);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "Could not remove " + dir.description() + "/" + name + ": " + e.getMessage());
        }
    }

    static int modeOf(Path file) throws IOException {
        return ((Integer) Files.getAttribute(file, "unix:mode", LinkOption.NOFOLLOW_LINKS)) & 07777;
    }

    static boolean runningAsRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** Owner and group, on the open file; only root may give a file away, else it stays ours. */
    private static void giveTo(FileHandle file, int uid, int gid) throws IOException {
        if (runningAsRoot()) {
            file.setOwner(uid, gid);
        }
    }

    private static String freeBackupName(FileHandle dir, String name) throws IOException {
        LocalDateTime time = LocalDateTime.now();
        for (int i = 0; i < 1000; i++) {
            String candidate = name + ".bak." + BACKUP_STAMP.format(time);
            if (dir.attributes(candidate) == null) {
                return candidate;
            }
            time = time.plusNanos(1_000_000); // two backups in one millisecond: next free stamp
        }
        throw new IllegalStateException("no free backup name for " + name);
    }

    /** A hard link to the entry (a link stays a link); a copy of a regular file where hard links fail. */
    private static void linkOrCopy(FileHandle dir, String name, String copy) throws IOException {
        try {
            dir.hardLink(name, dir, copy);
        } catch (FileAlreadyExistsException e) {
            throw e;
        } catch (IOException e) {
            Attributes source = dir.attributes(name);
            if (source == null || !source.isFile()) {
                throw e;
            }
            try (FileHandle in = dir.openToRead(name); FileHandle out = dir.createNew(copy, source.permissions() & 0777)) {
                out.write(in.readAll());
                giveTo(out, source.uid(), source.gid());
                out.setMode(source.permissions());
            }
        }
    }

    private static String randomSuffix() {
        byte[] bytes = new byte[6];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }
}
