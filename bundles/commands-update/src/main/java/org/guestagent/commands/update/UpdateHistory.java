package org.guestagent.commands.update;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import org.guestagent.api.system.GuestFiles;
import org.guestagent.api.system.WriteOptions;
import org.guestagent.commands.update.BundleUpdater.Change;
import org.osgi.framework.Version;

/**
 * The persistent record of updates, in the state folder (below the guest root):
 * <ul>
 * <li>{@code installed.txt}: one line {@code <symbolic-name> <version> bundles/<file>.jar} per bundle
 * that updates put in place, in the order they were applied; what a launcher re-applies at start;</li>
 * <li>{@code bundles/}: those jars;</li>
 * <li>{@code history.txt}: one line per update, {@code <time>\t<source>\t<name> <before> <after>;...}
 * ("-" for no version), the newest last; at most keep-history lines;</li>
 * <li>{@code previous/}: the jars replaced by the updates in the history, to roll back to.</li>
 * </ul>
 */
final class UpdateHistory {

    static final String INSTALLED = "installed.txt";
    static final String HISTORY = "history.txt";
    private static final String NONE = "-";

    /** One update: when, from where, what changed. */
    record Entry(String time, String source, List<Change> changes) {
        String line() {
            List<String> parts = new ArrayList<>();
            for (Change c : changes) {
                parts.add(c.symbolicName() + " " + text(c.before()) + " " + text(c.after()));
            }
            return time + "\t" + source + "\t" + String.join(";", parts);
        }

        static Entry parse(String line) {
            String[] fields = line.split("\t", 3);
            List<Change> changes = new ArrayList<>();
            for (String part : fields[2].split(";")) {
                String[] c = part.trim().split(" ");
                changes.add(new Change(c[0], version(c[1]), version(c[2])));
            }
            return new Entry(fields[0], fields[1], changes);
        }
    }

    /** A bundle put in place by an update, as listed in installed.txt. */
    record Installed(String symbolicName, Version version, String file) {
    }

    private final GuestFiles files;
    private final String stateDir;
    private final int keep;

    UpdateHistory(GuestFiles files, String stateDir, int keep) {
        this.files = files;
        this.stateDir = stateDir.endsWith("/") ? stateDir.substring(0, stateDir.length() - 1) : stateDir;
        this.keep = keep;
    }

    Path folder() {
        return files.resolve(stateDir);
    }

    Path previousJar(String symbolicName, Version version) {
        return folder().resolve("previous").resolve(symbolicName + "-" + version + ".jar");
    }

    synchronized List<Entry> entries() throws IOException {
        List<Entry> entries = new ArrayList<>();
        for (String line : lines(HISTORY)) {
            entries.add(Entry.parse(line));
        }
        return entries;
    }

    synchronized List<Installed> installed() throws IOException {
        List<Installed> installed = new ArrayList<>();
        for (String line : lines(INSTALLED)) {
            String[] f = line.split(" ");
            installed.add(new Installed(f[0], Version.parseVersion(f[1]), f[2]));
        }
        return installed;
    }

    /**
     * Records an applied update: its new jars (by symbolic name), the saved copies of the versions it
     * replaced (in savedFolder), the list of installed update bundles and the history line.
     */
    synchronized void record(String source, List<Change> changes, Map<String, Path> newJars, Path savedFolder)
            throws IOException {
        Map<String, Installed> installed = byName(installed());
        for (Change c : changes) {
            if (c.before() != null) {
                copy(savedFolder.resolve(c.symbolicName() + "-" + c.before() + ".jar"), previousJar(c.symbolicName(), c.before()));
            }
            installed.remove(c.symbolicName());
            if (c.after() != null) {
                String file = "bundles/" + c.symbolicName() + "-" + c.after() + ".jar";
                copy(newJars.get(c.symbolicName()), folder().resolve(file));
                installed.put(c.symbolicName(), new Installed(c.symbolicName(), c.after(), file));
            }
        }
        List<Entry> entries = entries();
        entries.add(new Entry(Instant.now().toString(), source, changes));
        save(installed, entries.subList(Math.max(0, entries.size() - keep), entries.size()));
    }

    /** Records that the newest update was rolled back. */
    synchronized void removeLast() throws IOException {
        List<Entry> entries = entries();
        Entry last = entries.remove(entries.size() - 1);
        Map<String, Installed> installed = byName(installed());
        for (Change c : last.changes()) {
            installed.remove(c.symbolicName());
            if (c.before() != null && cameFromUpdate(entries, c.symbolicName(), c.before())) {
                String file = "bundles/" + c.symbolicName() + "-" + c.before() + ".jar";
                copy(previousJar(c.symbolicName(), c.before()), folder().resolve(file));
                installed.put(c.symbolicName(), new Installed(c.symbolicName(), c.before(), file));
            }
        }
        save(installed, entries);
    }

    private static boolean cameFromUpdate(List<Entry> entries, String name, Version version) {
        return entries.stream().flatMap(e -> e.changes().stream())
                .anyMatch(c -> c.symbolicName().equals(name) && version.equals(c.after()));
    }

    private void save(Map<String, Installed> installed, List<Entry> entries) throws IOException {
        StringBuilder list = new StringBuilder("# Bundles put in place by agentupdate, in order: <name> <version> <jar below this folder>\n");
        installed.values().forEach(i -> list.append(i.symbolicName()).append(' ').append(i.version()).append(' ').append(i.file()).append('\n'));
        StringBuilder history = new StringBuilder();
        entries.forEach(e -> history.append(e.line()).append('\n'));
        files.write(stateDir + "/" + INSTALLED, list.toString().getBytes(StandardCharsets.UTF_8), WriteOptions.DEFAULT);
        files.write(stateDir + "/" + HISTORY, history.toString().getBytes(StandardCharsets.UTF_8), WriteOptions.DEFAULT);
        Set<Path> keepJars = new HashSet<>();
        installed.values().forEach(i -> keepJars.add(folder().resolve(i.file())));
        entries.forEach(e -> e.changes().stream().filter(c -> c.before() != null)
                .forEach(c -> keepJars.add(previousJar(c.symbolicName(), c.before()))));
        removeOthers(folder().resolve("bundles"), keepJars);
        removeOthers(folder().resolve("previous"), keepJars);
    }

    private static void removeOthers(Path dir, Set<Path> keepJars) throws IOException {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> list = Files.list(dir)) {
            for (Path p : list.toList()) {
                if (!keepJars.contains(p)) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static void copy(Path from, Path to) throws IOException {
        if (from == null || !Files.exists(from) || from.equals(to)) {
            return;
        }
        Files.createDirectories(to.getParent());
        Path staged = to.resolveSibling(to.getFileName() + ".new");
        Files.copy(from, staged, StandardCopyOption.REPLACE_EXISTING);
        Files.move(staged, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static Map<String, Installed> byName(List<Installed> list) {
        Map<String, Installed> map = new LinkedHashMap<>();
        list.forEach(i -> map.put(i.symbolicName(), i));
        return map;
    }

    private List<String> lines(String name) throws IOException {
        byte[] content = files.readIfExists(stateDir + "/" + name);
        List<String> lines = new ArrayList<>();
        if (content != null) {
            for (String line : new String(content, StandardCharsets.UTF_8).split("\n")) {
                if (!line.isBlank() && !line.startsWith("#")) {
                    lines.add(line);
                }
            }
        }
        return lines;
    }

    private static String text(Version v) {
        return v == null ? NONE : v.toString();
    }

    private static Version version(String text) {
        return NONE.equals(text) ? null : Version.parseVersion(text);
    }
}
