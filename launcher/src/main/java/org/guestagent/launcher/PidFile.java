package org.guestagent.launcher;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;

/** A file holding a process id, written atomically. */
final class PidFile {
    private PidFile() {
    }

    /** The pid in the file when that process still runs. */
    static Optional<Long> runningPid(Path file) {
        try {
            long pid = Long.parseLong(Files.readString(file, StandardCharsets.US_ASCII).trim());
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).map(ProcessHandle::pid);
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    static void write(Path file, long pid) throws IOException {
        if (file.getParent() != null) {
            Files.createDirectories(file.getParent());
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, pid + "\n", StandardCharsets.US_ASCII);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Removes the file when it still names this process. */
    static void remove(Path file, long pid) {
        try {
            if (Files.readString(file, StandardCharsets.US_ASCII).trim().equals(Long.toString(pid))) {
                Files.delete(file);
            }
        } catch (IOException | RuntimeException e) {
            // already gone or replaced: nothing to clean
        }
    }
}
