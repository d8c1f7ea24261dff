package org.guestagent.ops.network.backends;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.guestagent.api.system.GuestFiles;
import org.guestagent.commands.network.spi.NetworkConfig;

/** Small helpers the built-in backends share. */
final class BackendFiles {

    /** First line of every file the agent owns; lets a later run recognise its own files. */
    static final String MARKER = "# Automatically generated, do not edit";

    private static final Pattern MAC = Pattern.compile("(?i)\\b[0-9a-f]{2}(:[0-9a-f]{2}){5}\\b");

    private BackendFiles() {
    }

    /** A guest file as text, or null when it does not exist. */
    static String text(GuestFiles files, String guestPath) throws IOException {
        byte[] bytes = files.readIfExists(guestPath);
        return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
    }

    /** The names of the regular files in a guest folder, sorted; empty when it does not exist. */
    static List<String> list(GuestFiles files, String guestFolder) throws IOException {
        Path folder = files.resolve(guestFolder);
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        try (Stream<Path> entries = Files.list(folder)) {
            return entries.filter(Files::isRegularFile).map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    static boolean exists(GuestFiles files, String guestPath) {
        return Files.exists(files.resolve(guestPath));
    }

    /**
     * True when a file configuring {@code name} is stale: the interface is not configured now, and
     * either the agent wrote the file or it was made for a NIC (it names a MAC) that is gone.
     */
    static boolean isStale(String name, String content, NetworkConfig config) {
        if (name.equals("lo") || config.configures(name)) {
            return false;
        }
        return content.startsWith(MARKER) || (!config.nicExists(name) && MAC.matcher(content).find());
    }

    /** Lines of a shell-style file whose key the predicate does not claim; comments and others kept. */
    static List<String> linesNotOwned(String text, java.util.function.Predicate<String> owned) {
        List<String> kept = new ArrayList<>();
        if (text == null) {
            return kept;
        }
        for (String line : text.split("\n")) {
            String stripped = line.strip();
            int eq = stripped.indexOf('=');
            String key = eq > 0 ? stripped.substring(0, eq) : null;
            if (key == null || stripped.startsWith("#") || !owned.test(key)) {
                kept.add(line);
            }
        }
        while (!kept.isEmpty() && kept.get(kept.size() - 1).isBlank()) {
            kept.remove(kept.size() - 1);
        }
        return kept;
    }

    /** Double-quotes a value for a shell-style file. */
    static String quoted(String value) {
        return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
