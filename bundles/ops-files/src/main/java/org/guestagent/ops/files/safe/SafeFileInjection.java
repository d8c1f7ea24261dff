package org.guestagent.ops.files.safe;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

import org.guestagent.api.system.GuestFiles;
import org.guestagent.api.system.WriteOptions;
import org.guestagent.ops.files.FileInjection;
import org.guestagent.ops.files.FileInjectionException;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Writes one injected file through GuestFiles, with the rules of file injection: modes for new
 * files (0644; 0600 below a {@code .ssh} folder, which itself gets 0700 and, with the key file,
 * the owner of the home folder holding it), no symbolic link owned by an ordinary user among the
 * parent folders (GuestFiles refuses those), and errors a person can act on. Its configuration
 * keeps the PID of the command bundle it came from, so existing configuration files still apply.
 */
@Component(service = FileInjection.class, configurationPid = SafeFileInjection.PID)
@Designate(ocd = SafeFileInjection.Config.class)
public final class SafeFileInjection implements FileInjection {

    public static final String PID = "org.guestagent.commands.files";

    @ObjectClassDefinition(name = "File injection")
    public @interface Config {
        @AttributeDefinition(description = "How many timestamped backups of a replaced file to keep beside it (0: none)")
        int backups() default 1;
    }

    private static final System.Logger LOG = System.getLogger(SafeFileInjection.class.getName());
    private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;
    private static final String SSH_FOLDER = ".ssh";

    private final GuestFiles files;
    private volatile int backups;

    @Activate
    public SafeFileInjection(@Reference(name = "files") GuestFiles files, Config config) {
        this(files, config.backups());
    }

    /** Without OSGi (tests, other bundles' tests). */
    public SafeFileInjection(GuestFiles files, int backups) {
        this.files = files;
        this.backups = Math.max(0, backups);
    }

    @Modified
    void modified(Config config) {
        backups = Math.max(0, config.backups());
    }

    @Override
    public void inject(String guestPath, byte[] contents) throws FileInjectionException {
        Path target = resolve(guestPath);
        if (guestPath.endsWith("/") || target.equals(files.root()) || Files.isDirectory(target, NOFOLLOW)) {
            throw new FileInjectionException("The path " + guestPath + " is a folder, not a file");
        }
        // GuestFiles walks to the folder by handles and refuses links owned by users, so a folder
        // swapped for a link at any moment of the write cannot lead it elsewhere
        boolean inSshFolder = SSH_FOLDER.equals(target.getParent().getFileName() == null ? null
                : target.getParent().getFileName().toString());
        WriteOptions options = new WriteOptions(inSsh(target) ? 0600 : 0644, false, backups);
        try {
            files.write(guestPath, contents, inSshFolder ? options.inPrivateFolder() : options);
        } catch (IOException e) {
            throw new FileInjectionException(describe(e, guestPath), e);
        }
        LOG.log(System.Logger.Level.INFO, "Injected " + contents.length + " bytes into " + guestPath);
    }

    private Path resolve(String guestPath) throws FileInjectionException {
        try {
            return files.resolve(guestPath);
        } catch (IllegalArgumentException e) {
            throw new FileInjectionException(e.getMessage());
        }
    }

    /** True below a {@code .ssh} folder: keys are 0600. */
    private static boolean inSsh(Path target) {
        for (Path folder = target.getParent(); folder != null; folder = folder.getParent()) {
            if (folder.getFileName() != null && folder.getFileName().toString().equals(SSH_FOLDER)) {
                return true;
            }
        }
        return false;
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
