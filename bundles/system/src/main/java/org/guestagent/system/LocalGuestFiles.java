package org.guestagent.system;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;

import org.guestagent.api.system.FileTransaction;
import org.guestagent.api.system.GuestFiles;
import org.guestagent.api.system.WriteOptions;
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
    private final FileStager stager;

    /** For plain tests and tools: the files below the given folder. */
    public LocalGuestFiles(Path root) {
        this.root = realFolder(root);
        this.stager = new FileStager(this.root);
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
        Path result = root;
        for (String name : names) {
            result = result.resolve(name);
        }
        return result;
    }

    @Override
    public byte[] readIfExists(String guestPath) throws IOException {
        try {
            return Files.readAllBytes(resolve(guestPath));
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    @Override
    public void write(String guestPath, byte[] content, WriteOptions options) throws IOException {
        Path target = resolve(guestPath);
        requireFileName(target, guestPath);
        Path temp = stager.stage(target, content, options);
        try {
            stager.backup(target, options.backups());
            stager.moveIn(temp, target);
        } finally {
            Files.deleteIfExists(temp);
        }
        stager.syncFolder(target.getParent());
    }

    @Override
    public FileTransaction begin() {
        return new LocalFileTransaction(this, stager);
    }

    void requireFileName(Path target, String guestPath) {
        if (target.equals(root)) {
            throw new IllegalArgumentException("The path " + guestPath + " names no file");
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
