package org.guestagent.commands.files;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

import org.guestagent.api.command.CommandException;
import org.guestagent.api.system.GuestFiles;
import org.guestagent.api.system.WriteOptions;

/**
 * Writes one injected file through GuestFiles, with the rules of file injection: modes for new
 * files (0644; 0600 below a {@code .ssh} folder, which itself gets 0700), no symbolic link owned
 * by an ordinary user among the parent folders, and errors a person can act on.
 */
final class FileInjector {

    private static final System.Logger LOG = System.getLogger(FileInjector.class.getName());
    private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;
    private static final String SSH_FOLDER = ".ssh";

    private final GuestFiles files;
    private final int backups;

    FileInjector(GuestFiles files, int backups) {
        this.files = files;
        this.backups = backups;
    }

    void inject(String guestPath, byte[] contents) {
        Path target = resolve(guestPath);
        if (guestPath.endsWith("/") || target.equals(files.root()) || Files.isDirectory(target, NOFOLLOW)) {
            throw new CommandException("The path " + guestPath + " is a folder, not a file");
        }
        refuseUserOwnedLinks(guestPath, target);

        Path sshFolder = sshFolderOf(target);
        boolean newFile = !Files.exists(target, NOFOLLOW);
        boolean newSshFolder = sshFolder != null && !Files.exists(sshFolder, NOFOLLOW);
        WriteOptions options = new WriteOptions(sshFolder != null ? 0600 : 0644, false, backups);
        try {
            files.write(guestPath, contents, options);
            if (newSshFolder) {
                Files.setAttribute(sshFolder, "unix:mode", 0700, NOFOLLOW);
            }
            if (sshFolder != null) {
                giveToHomeOwner(sshFolder, newSshFolder, newFile ? target : null);
            }
        } catch (IOException e) {
            throw new CommandException(describe(e, guestPath), e);
        }
        LOG.log(System.Logger.Level.INFO, "Injected " + contents.length + " bytes into " + guestPath);
    }

    private Path resolve(String guestPath) {
        try {
            return files.resolve(guestPath);
        } catch (IllegalArgumentException e) {
            throw new CommandException(e.getMessage());
        }
    }

    /**
     * A user could swap a folder of theirs for a link to anywhere (say /etc); links owned by root
     * were put there by the administrator and are followed.
     */
    private void refuseUserOwnedLinks(String guestPath, Path target) {
        Path root = files.root();
        Path folder = root;
        for (Path name : root.relativize(target.getParent())) {
            folder = folder.resolve(name);
            try {
                if (Files.isSymbolicLink(folder) && (Integer) Files.getAttribute(folder, "unix:uid", NOFOLLOW) != 0) {
                    throw new CommandException("Refusing to write " + guestPath + ": the folder /" + root.relativize(folder)
                            + " is a symbolic link owned by a user other than root");
                }
            } catch (IOException e) {
                throw new CommandException(describe(e, guestPath), e);
            }
        }
    }

    /** The nearest {@code .ssh} folder among the target's parents, or null. */
    private static Path sshFolderOf(Path target) {
        for (Path folder = target.getParent(); folder != null; folder = folder.getParent()) {
            if (folder.getFileName() != null && folder.getFileName().toString().equals(SSH_FOLDER)) {
                return folder;
            }
        }
        return null;
    }

    /**
     * A {@code .ssh} folder and key file we created belong to the owner of the home folder
     * holding them, so that sshd, reading as that user, can use them.
     */
    private static void giveToHomeOwner(Path sshFolder, boolean newFolder, Path newFile) throws IOException {
        Path home = sshFolder.getParent();
        if (home == null || !"root".equals(System.getProperty("user.name"))) {
            return;
        }
        int uid = (Integer) Files.getAttribute(home, "unix:uid", NOFOLLOW);
        int gid = (Integer) Files.getAttribute(home, "unix:gid", NOFOLLOW);
        if (uid == 0) {
            return;
        }
        for (Path path : new Path[] {newFolder ? sshFolder : null, newFile}) {
            if (path != null) {
                Files.setAttribute(path, "unix:uid", uid, NOFOLLOW);
                Files.setAttribute(path, "unix:gid", gid, NOFOLLOW);
            }
        }
    }

    /** An I/O failure as a sentence for the host, without Java names. */
    static String describe(IOException e, String guestPath) {
        String reason = e instanceof FileSystemException fse && fse.getReason() != null ? fse.getReason() : e.getMessage();
        String text = reason == null ? "" : reason;
        if (text.contains("No space left on device") || text.contains("Disk quota exceeded")) {
            return "Could not write " + guestPath + ": the disk is full";
        }
        if (text.contains("Read-only file system")) {
            return "Could not write " + guestPath + ": the file system is read-only";
        }
        if (e instanceof AccessDeniedException || text.contains("Permission denied")) {
            return "Could not write " + guestPath + ": permission denied";
        }
        if (text.contains("Is a directory")) {
            return "The path " + guestPath + " is a folder, not a file";
        }
        return "Could not write " + guestPath + ": " + (text.isEmpty() ? "input/output error" : text);
    }
}
