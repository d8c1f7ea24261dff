package org.guestagent.system;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.guestagent.api.system.FileTransaction;
import org.guestagent.api.system.WriteOptions;

/**
 * Changes staged as hidden temporary files beside their targets and renamed in together on
 * commit. Before the renames, every existing target is kept aside (hard link), so a failed
 * rename puts the whole previous set back.
 */
final class LocalFileTransaction implements FileTransaction {

    private static final System.Logger LOG = System.getLogger(LocalFileTransaction.class.getName());

    /** One staged change: a temporary file to rename in, or (temp null) a deletion. */
    private record Change(Path target, Path temp, int backups) {
    }

    /** A change carried out, with the kept previous version (null when there was none). */
    private record Done(Change change, Path kept) {
    }

    private final LocalGuestFiles files;
    private final FileStager stager;
    private final Map<Path, Change> changes = new LinkedHashMap<>();
    private boolean finished;

    LocalFileTransaction(LocalGuestFiles files, FileStager stager) {
        this.files = files;
        this.stager = stager;
    }

    @Override
    public synchronized void write(String guestPath, byte[] content, WriteOptions options) throws IOException {
        requireOpen();
        Path target = files.resolve(guestPath);
        files.requireFileName(target, guestPath);
        Path temp = stager.stage(target, content, options);
        discard(changes.put(target, new Change(target, temp, options.backups())));
    }

    @Override
    public synchronized void delete(String guestPath) throws IOException {
        requireOpen();
        Path target = files.resolve(guestPath);
        files.requireFileName(target, guestPath);
        discard(changes.put(target, new Change(target, null, 0)));
    }

    @Override
    public synchronized void commit() throws IOException {
        requireOpen();
        finished = true;
        List<Done> done = new ArrayList<>();
        try {
            for (Change change : changes.values()) {
                boolean exists = Files.exists(change.target(), LinkOption.NOFOLLOW_LINKS);
                Path kept = exists && !Files.isDirectory(change.target(), LinkOption.NOFOLLOW_LINKS)
                        ? stager.keepAside(change.target()) : null;
                done.add(new Done(change, kept));
                if (change.temp() != null) {
                    stager.moveIn(change.temp(), change.target());
                } else if (exists) {
                    Files.delete(change.target());
                }
            }
        } catch (IOException | RuntimeException e) {
            restore(done);
            changes.values().forEach(this::discard);
            throw new IOException("The changes were not made, the previous files are back: " + e.getMessage(), e);
        }
        for (Done d : done) {
            stager.syncFolder(d.change().target().getParent());
            if (d.kept() != null) {
                if (d.change().backups() > 0) {
                    stager.promoteToBackup(d.kept(), d.change().target(), d.change().backups());
                } else {
                    Files.deleteIfExists(d.kept());
                }
            }
        }
    }

    @Override
    public synchronized void close() {
        if (!finished) {
            finished = true;
            changes.values().forEach(this::discard);
        }
    }

    /** Puts back, newest first, what the carried out changes replaced. */
    private void restore(List<Done> done) {
        for (int i = done.size() - 1; i >= 0; i--) {
            Done d = done.get(i);
            Path target = d.change().target();
            try {
                if (d.kept() != null) {
                    Files.move(d.kept(), target, StandardCopyOption.ATOMIC_MOVE);
                } else if (!Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
                    Files.deleteIfExists(target); // it did not exist before
                }
            } catch (IOException e) {
                LOG.log(System.Logger.Level.ERROR, "Could not put back " + target + ": " + e.getMessage());
            }
        }
    }

    private void discard(Change change) {
        if (change != null && change.temp() != null) {
            try {
                Files.deleteIfExists(change.temp());
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "Could not remove " + change.temp() + ": " + e.getMessage());
            }
        }
    }

    private void requireOpen() {
        if (finished) {
            throw new IllegalStateException("The transaction is already committed or closed");
        }
    }
}
