package org.guestagent.launcher;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/** A file holding a process id, written atomically, never through a symbolic link (see {@link OwnFiles}). */
final class PidFile {
    private PidFile() {
    }

    /** The pid in the file when that process still runs. */
    static Optional<Long> runningPid(Path file) {
        try {
            String text = OwnFiles.readText(file);
            if (text == null) {
                return Optional.empty();
            }
            long pid = Long.parseLong(text.trim());
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).map(ProcessHandle::pid);
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    static void write(OwnFiles own, Path file, long pid) throws IOException {
        own.replace(file, pid + "\n");
    }

    /** Removes the file when it still names this process. */
    static void remove(OwnFiles own, Path file, long pid) {
        try (OwnFiles.Folder folder = own.folder(file.toAbsolutePath().getParent())) {
            String text = OwnFiles.readText(file);
            if (text != null && text.trim().equals(Long.toString(pid))) {
                folder.stream().deleteFile(file.getFileName());
            }
        } catch (IOException | RuntimeException e) {
            // already gone or replaced: nothing to clean
        }
    }
}
