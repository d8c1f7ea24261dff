package org.guestagent.system;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.guestagent.api.system.FileTransaction;
import org.guestagent.api.system.GuestFiles;
import org.guestagent.api.system.WriteOptions;
import org.guestagent.platform.handles.FileHandle;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The guest's files below a root folder. The root is the framework property
 * {@code guestagent.root} (the launcher's {@code --root}) when set, else the {@code root}
 * configuration property, else {@code /}.
 */
@Component(service = GuestFiles.class, configurationPid = LocalGuestFiles.PID)
@Designate(ocd = LocalGuestFiles.Config.class)
public class LocalGuestFiles implements GuestFiles {

    public static final String PID = "org.guestagent.system.files";
    public static final String ROOT_PROPERTY = "guestagent.root";

    @ObjectClassDefinition(name = "Guest files", description = "Where the guest's / is")
    public @interface Config {
        @AttributeDefinition(description = "Folder standing for the guest's /; the framework property guestagent.root wins")
        String root() default "/";
    }

    private static final System.Logger LOG = System.getLogger(LocalGuestFiles.class.getName());

    private final Path root;
    private final FolderWalk walk;
    private final FileStager stager;

    /** For plain tests and tools: the files below the given folder. */
    public LocalGuestFiles(Path root) {
        this.root = realFolder(root);
        this.walk = new FolderWalk(this.root, false);
        this.stager = new FileStager(walk);
    }

    @Activate
    public LocalGuestFiles(BundleContext context, Config config) {
        this(Path.of(chooseRoot(context.getProperty(ROOT_PROPERTY), config.root())));
        LOG.log(System.Logger.Level.INFO, "Guest files below " + root);
    }

    static String chooseRoot(String frameworkProperty, String configured) {
        if (frameworkProperty != null && !frameworkProperty.isBlank()) {
            return frameworkProperty.trim();
        }
        return configured == null || configured.isBlank() ? "/" : configured.trim();
    }

    @Override
    public Path root() {
        return root;
    }

    @Override
    public Path resolve(String guestPath) {
        Path result = root;
        for (String name : names(guestPath)) {
            result = result.resolve(name);
        }
        return result;
    }

    /** The names of a guest path below /, after "." and ".." are taken out. */
    static List<String> names(String guestPath) {
        if (guestPath == null || guestPath.isEmpty()) {
            throw new IllegalArgumentException("The path is empty");
        }
        if (guestPath.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("The path holds a NUL character");
        }
        if (!guestPath.startsWith("/")) {
            throw new IllegalArgumentException("The path " + guestPath + " is not absolute");
        }
        Deque<String> names = new ArrayDeque<>();
        for (String name : guestPath.split("/")) {
            if (name.isEmpty() || name.equals(".")) {
                continue;
            }
            if (name.equals("..")) {
                if (names.isEmpty()) {
                    throw new IllegalArgumentException("The path " + guestPath + " leads above /");
                }
                names.removeLast();
            } else {
                names.addLast(name);
            }
        }
        return List.copyOf(names);
    }

    /**
     * Reads through the same walk as writes: a link (also the file itself) is followed only when
     * root owns it and only inside the root.
     */
    @Override
    public byte[] readIfExists(String guestPath) throws IOException {
        List<String> names = names(guestPath);
        if (names.isEmpty()) {
            throw new IllegalArgumentException("The path " + guestPath + " names no file");
        }
        if (!Files.isDirectory(root)) {
            return null;
        }
        List<String> path = names;
        for (int links = 0; links <= 40; links++) {
            String name = path.get(path.size() - 1);
            try (FolderWalk.Found found = walk.open(path.subList(0, path.size() - 1), null)) {
                FileHandle.Attributes entry = found.folder().attributes(name);
                if (entry == null) {
                    return null;
                }
                if (entry.isLink()) {
                    path = walk.follow(found, name, entry); // checked as the walk checks links among folders
                    if (path.isEmpty()) {
                        throw new IOException("Could not read " + guestPath + ": a symbolic link leads to the root folder");
                    }
                    continue;
                }
                if (!entry.isFile()) {
                    throw new IOException("Could not read " + guestPath + ": it is not a regular file");
                }
                try (FileHandle file = found.folder().openToRead(name)) {
                    return file.readAll();
                }
            } catch (NoSuchFileException e) {
                return null;
            }
        }
        throw new IOException("Could not read " + guestPath + ": too many levels of symbolic links");
    }

    /**
     * Walks to the file as reads do, opens it by name with O_NOFOLLOW (made when missing and
     * wanted), then reopens that very file through /proc/self/fd with the access asked for.
     */
    @Override
    public FileChannel open(String guestPath, Set<? extends OpenOption> options) throws IOException {
        List<String> names = names(guestPath);
        if (names.isEmpty()) {
            throw new FileSystemException(guestPath, null, "Is a directory");
        }
        boolean create = options.contains(StandardOpenOption.CREATE);
        Set<OpenOption> reopen = new HashSet<>(options);
        reopen.remove(StandardOpenOption.CREATE);
        List<String> path = names;
        for (int links = 0; links <= 40; links++) {
            String name = path.get(path.size() - 1);
            try (FolderWalk.Found found = walk.open(path.subList(0, path.size() - 1), null)) {
                FileHandle.Attributes entry = found.folder().attributes(name);
                if (entry != null && entry.isLink()) {
                    path = walk.follow(found, name, entry);
                    if (path.isEmpty()) {
                        throw new FileSystemException(guestPath, null, "Is a directory");
                    }
                    continue;
                }
                if (entry == null && !create) {
                    throw new NoSuchFileException(guestPath, null, "No such file or directory");
                }
                try (FileHandle file = found.folder().openFile(name, create, 0666)) {
                    return FileChannel.open(file.procPath(), reopen);
                }
            }
        }
        throw new FileSystemException(guestPath, null, "Too many levels of symbolic links");
    }

    @Override
    public void write(String guestPath, byte[] content, WriteOptions options) throws IOException {
        List<String> names = names(guestPath);
        requireFileName(names, guestPath);
        createRoot();
        try (FolderWalk.Found found = stager.folderOf(names.subList(0, names.size() - 1), options)) {
            FileStager.Staged staged = stager.stage(found, names.get(names.size() - 1), content, options);
            try {
                stager.backup(found.folder(), staged.name(), options.backups());
                stager.moveIn(staged);
            } finally {
                FileStager.deleteQuietly(found.folder(), staged.temp());
            }
            stager.syncFolder(found.folder());
        }
    }

    @Override
    public FileTransaction begin() {
        return new LocalFileTransaction(this, stager);
    }

    static void requireFileName(List<String> names, String guestPath) {
        if (names.isEmpty()) {
            throw new IllegalArgumentException("The path " + guestPath + " names no file");
        }
    }

    /** The root folder itself is the administrator's choice: made when missing, links and all. */
    void createRoot() throws IOException {
        if (!Files.isDirectory(root)) {
            Files.createDirectories(root);
        }
    }

    /** The root with symbolic links resolved, so that checks compare like with like. */
    private static Path realFolder(Path folder) {
        Path absolute = folder.toAbsolutePath().normalize();
        try {
            return absolute.toRealPath();
        } catch (IOException e) {
            return absolute; // created on first write
        }
    }
}
