package org.guestagent.commands.update;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Enumeration;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;

import org.guestagent.api.command.CommandException;
import org.osgi.framework.Bundle;
import org.osgi.framework.Version;

/** Reading bundle identities from jars, and keeping a copy of an installed bundle to go back to. */
final class BundleJars {

    /** A bundle's symbolic name and version. */
    record BundleId(String symbolicName, Version version) {
        String fileName() {
            return symbolicName + "-" + version + ".jar";
        }

        @Override
        public String toString() {
            return symbolicName + " " + version;
        }
    }

    private BundleJars() {
    }

    /** The identity of a bundle jar, or null when the file is no bundle (no Bundle-SymbolicName). */
    static BundleId read(Path jar) throws IOException {
        try (JarFile file = new JarFile(jar.toFile(), false)) {
            Manifest manifest = file.getManifest();
            String name = manifest == null ? null : manifest.getMainAttributes().getValue("Bundle-SymbolicName");
            if (name == null || name.isBlank()) {
                return null;
            }
            String symbolicName = name.split(";", 2)[0].trim();
            if (!symbolicName.matches("[A-Za-z0-9_.\\-]+")) {
                throw new CommandException("The update's Bundle-SymbolicName is not a valid name");
            }
            try {
                return new BundleId(symbolicName,
                        Version.parseVersion(manifest.getMainAttributes().getValue("Bundle-Version")));
            } catch (IllegalArgumentException e) {
                throw new CommandException("The Bundle-Version of " + symbolicName + " in the update is not a valid version");
            }
        }
    }

    static BundleId of(Bundle bundle) {
        return new BundleId(bundle.getSymbolicName(), bundle.getVersion());
    }

    /**
     * Writes the installed bundle's content to target: the file it was installed from when that
     * is still there and the same version, otherwise a jar rebuilt from the bundle's entries.
     */
    static void saveCopy(Bundle bundle, Path target) throws IOException {
        if (Files.exists(target)) {
            return;
        }
        Files.createDirectories(target.getParent());
        Path original = fileLocation(bundle);
        if (original != null && of(bundle).equals(readQuietly(original))) {
            Files.copy(original, target);
            return;
        }
        rebuild(bundle, target);
    }

    private static Path fileLocation(Bundle bundle) {
        String location = bundle.getLocation();
        if (location == null || !location.startsWith("file:")) {
            return null;
        }
        try {
            Path path = Path.of(URI.create(location));
            return Files.isRegularFile(path) ? path : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static BundleId readQuietly(Path jar) {
        try {
            return read(jar);
        } catch (IOException | CommandException e) {
            return null;
        }
    }

    private static void rebuild(Bundle bundle, Path target) throws IOException {
        URL manifestUrl = bundle.getEntry(JarFile.MANIFEST_NAME);
        Manifest manifest = new Manifest();
        if (manifestUrl != null) {
            try (InputStream in = manifestUrl.openStream()) {
                manifest.read(in);
            }
        }
        manifest.getMainAttributes().putIfAbsent(Attributes.Name.MANIFEST_VERSION, "1.0");
        try (OutputStream file = Files.newOutputStream(target); JarOutputStream jar = new JarOutputStream(file, manifest)) {
            Deque<String> folders = new ArrayDeque<>();
            folders.add("/");
            while (!folders.isEmpty()) {
                Enumeration<String> paths = bundle.getEntryPaths(folders.poll());
                while (paths != null && paths.hasMoreElements()) {
                    String path = paths.nextElement();
                    if (path.endsWith("/")) {
                        folders.add(path);
                    } else if (!path.equalsIgnoreCase(JarFile.MANIFEST_NAME)) {
                        jar.putNextEntry(new ZipEntry(path));
                        try (InputStream in = bundle.getEntry(path).openStream()) {
                            in.transferTo(jar);
                        }
                        jar.closeEntry();
                    }
                }
            }
        }
    }
}
