package org.guestagent.launcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * What the agent loads runs as root, so a file of deploy/, config/, bundles/ or lib/ (and each of
 * these folders) must be owned by the agent's own user (root) and writable by nobody else: any
 * local user who could change such a file could run code as root. A symbolic link is judged by
 * what it leads to.
 */
final class TrustedFiles {
    /** The distribution's folders whose every file the agent loads at its start. */
    static final List<String> LOADED_AT_START = List.of("bundles", "lib");

    private final int ownUid;

    TrustedFiles(int ownUid) {
        this.ownUid = ownUid;
    }

    /** The agent's own user id (the owner of /proc/self). */
    static TrustedFiles ofThisProcess() {
        try {
            return new TrustedFiles((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("cannot tell the agent's own user id from /proc/self: " + e.getMessage(), e);
        }
    }

    /** Null when the file or folder may be trusted, else why not (for a log line naming it). */
    String problem(Path path) {
        try {
            PosixFileAttributes attributes = Files.readAttributes(path, PosixFileAttributes.class);
            int uid = (Integer) Files.getAttribute(path, "unix:uid");
            int mode = (Integer) Files.getAttribute(path, "unix:mode");
            if (uid != ownUid) {
                return "owned by " + attributes.owner().getName() + " (uid " + uid + "), not by the agent's user (uid " + ownUid + ")";
            }
            if ((mode & 0022) != 0) {
                return String.format("writable by group or others (mode %04o)", mode & 07777);
            }
            return null;
        } catch (IOException | RuntimeException e) {
            return "unreadable: " + e.getMessage();
        }
    }

    /**
     * The problems of the distribution's own folders (home, bundles/, lib/, features/, the config
     * and deploy folders) and of every file the launcher itself reads or loads at the start: any
     * one of them keeps the agent from starting. Files of deploy/ and the other .cfg files of
     * config/ are judged one by one as FileInstall takes them ({@link DropInGate}).
     */
    List<String> distributionProblems(Path home, Path configDir, Path deployDir, Path featuresFile,
            List<Path> launcherConfigFiles) throws IOException {
        List<String> problems = new ArrayList<>();
        List<Path> checked = new ArrayList<>(List.of(home, configDir, featuresFile.getParent(), featuresFile));
        if (Files.isDirectory(deployDir)) {
            checked.add(deployDir);
        }
        for (String name : LOADED_AT_START) {
            Path folder = home.resolve(name);
            if (Files.isDirectory(folder)) {
                checked.add(folder);
                try (Stream<Path> files = Files.walk(folder)) {
                    files.filter(f -> !f.equals(folder)).forEach(checked::add);
                }
            }
        }
        for (Path file : launcherConfigFiles) {
            if (Files.exists(file)) {
                checked.add(file);
            }
        }
        for (Path path : checked) {
            String problem = problem(path);
            if (problem != null) {
                problems.add(path + " is " + problem);
            }
        }
        return problems;
    }
}
