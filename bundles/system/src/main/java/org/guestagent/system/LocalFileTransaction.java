package org.guestagent.system;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.guestagent.api.system.FileTransaction;
import org.guestagent.api.system.WriteOptions;
import org.guestagent.platform.handles.FileHandle;

/**
 * Changes staged as hidden temporary files beside their targets and renamed in together on
 * commit. Before the renames, every existing target is kept aside (hard link), so a failed
 * rename puts the whole previous set back. Each change holds its folder open, so the renames
 * land in the folders that were checked when the change was staged.
 */
final class LocalFileTransaction implements FileTransaction {

    private static final System.Logger LOG = System.getLogger(LocalFileTransaction.class.getName());

    /** One staged change: a temporary file to rename in, or (temp null) a deletion. */
    private record Change(FolderWalk.Found found, String name, String temp, int backups) {
        FileHandle folder() {
            return found.folder();
        }
    }

    /** A change carried out, with the name of the kept previous version (null when there was none). */
    private record Done(Change change, String kept) {
    }

    private final LocalGuestFiles files;
    private final FileStager stager;
    private final Map<String, Change> changes = new LinkedHashMap<>();
    private boolean finished;

    LocalFileTransaction(LocalGuestFiles files, FileStager stager) {
        this.files = files;
        this.stager = stager;
    }

    @Override
    public synchronized void write(String guestPath, byte[] content, WriteOptions options) throws IOException {
        requireOpen();
        List<String> names = LocalGuestFiles.names(guestPath);
        LocalGuestFiles.requireFileName(names, guestPath);
        files.createRoot();
        FolderWalk.Found found = stager.folderOf(names.subList(0, names.size() - 1), options);
        try {
            FileStager.Staged staged = stager.stage(found, names.get(names.size() - 1), content, options);
            discard(changes.put(String.join("/", names), new Change(found, staged.name(), staged.temp(), options.backups())));
        } catch (IOException | RuntimeException e) {
            found.close();
            throw e;
        }
    }

    @Override
    public synchronized void delete(String guestPath) throws IOException {
        requireOpen();
        List<String> names = LocalGuestFiles.names(guestPath);
        LocalGuestFiles.requireFileName(names, guestPath);
        String key = String.join("/", names);
        FolderWalk.Found found;
        try {
            files.createRoot();
            found = stager.existingFolderOf(names.subList(0, names.size() - 1));
        } catch (NoSuchFileException e) {
            discard(changes.remove(key)); // its folder is missing: nothing to delete
            return;
        }
        discard(changes.put(key, new Change(found, names.get(names.size() - 1), null, 0)));
    }

    @Override
    public synchronized void commit() throws IOException {
        requireOpen();
        finished = true;
        List<Done> done = new ArrayList<>();
        try {
            for (Change change : changes.values()) {
                FileHandle.Attributes existing = change.folder().attributes(change.name());
                boolean exists = existing != null;
                String kept = exists && !existing.isFolder() ? stager.keepAside(change.folder(), change.name()) : null;
                done.add(new Done(change, kept));
                if (change.temp() != null) {
                    stager.moveIn(new FileStager.Staged(change.folder(), change.name(), change.temp()));
                } else if (exists) {
                    change.folder().delete(change.name());
                }
            }
        } catch (IOException | RuntimeException e) {
            restore(done);
            changes.values().forEach(this::discard);
            throw new IOException("The changes were not made, the previous files are back: " + e.getMessage(), e);
        }
        try {
            for (Done d : done) {
                stager.syncFolder(d.change().folder());
                if (d.kept() != null) {
                    if (d.change().backups() > 0) {
                        stager.promoteToBackup(d.change().folder(), d.kept(), d.change().name(), d.change().backups());
                    } else {
                        d.change().folder().deleteIfExists(d.kept());
                    }
                }
            }
        } finally {
            changes.values().forEach(c -> c.found().close());
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
            FileHandle folder = d.change().folder();
            String name = d.change().name();
            try {
                if (d.kept() != null) {
                    folder.rename(d.kept(), folder, name);
                } else {
                    FileHandle.Attributes now = folder.attributes(name);
                    if (now != null && !now.isFolder()) {
                        folder.delete(name); // it did not exist before
                    }
                }
            } catch (IOException e) {
                LOG.log(System.Logger.Level.ERROR, "Could not put back " + folder.description() + "/" + name + ": " + e.getMessage());
            }
        }
    }

    /** Deletes a staged temporary file (by its folder's handle) and lets the folder go. */
    private void discard(Change change) {
        if (change != null) {
            if (change.temp() != null) {
                FileStager.deleteQuietly(change.folder(), change.temp());
            }
            change.found().close();
        }
    }

    private void requireOpen() {
        if (finished) {
            throw new IllegalStateException("The transaction is already committed or closed");
        }
    }
}
