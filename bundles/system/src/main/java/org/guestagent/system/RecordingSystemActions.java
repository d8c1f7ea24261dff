package org.guestagent.system;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.FileSystemException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

import org.guestagent.api.system.SystemActions;
import org.guestagent.platform.handles.FileHandle;

/**
 * Acts on nothing: writes each action down as one line ({@code sethostname web1},
 * {@code run systemctl restart networking}), in memory and appended to a log file that tests
 * on a running agent can read. Standard input given to a program is never recorded.
 */
public class RecordingSystemActions implements SystemActions {

    /** Where the log lies below the root folder. */
    public static final String LOG_PATH = "var/lib/guest-agent/actions.log";

    private static final Pattern SECRET_OPTION = Pattern.compile("(?i)key|password|passwd|secret|token");

    private final Path logRoot;
    private final List<String> logNames;
    private final List<String> lines = new ArrayList<>();
    private final Set<String> frozen = ConcurrentHashMap.newKeySet();
    private final AtomicLong nextPid = new AtomicLong(1);

    /** @param logFile the file lines are appended to (its folder trusted), or null to keep them only in memory */
    public RecordingSystemActions(Path logFile) {
        this(logFile == null ? null : logFile.toAbsolutePath().getParent(),
                logFile == null ? null : logFile.getFileName().toString());
    }

    /**
     * @param root    the folder the log lies below; nothing below it is trusted (with --root it is a
     *                guest image): no link is followed on the way to the log, none is the log
     * @param logPath the log's path below the root, e.g. {@link #LOG_PATH}
     */
    public RecordingSystemActions(Path root, String logPath) {
        this.logRoot = root;
        this.logNames = logPath == null ? null : LocalGuestFiles.names("/" + logPath);
    }

    @Override
    public void setHostname(String hostname) throws IOException {
        record("sethostname " + hostname);
    }

    @Override
    public ExecResult run(List<String> command, byte[] input, Duration timeout) throws IOException {
        record("run " + String.join(" ", command.stream().map(RecordingSystemActions::redact).toList()));
        return new ExecResult(0, "", "");
    }

    /** Records "exec PROGRAM ARGS" (the environment is not recorded) and gives an ended program. */
    @Override
    public Process start(List<String> command, Map<String, String> environment, boolean pipeInput, boolean captureOutput)
            throws IOException {
        record("exec " + String.join(" ", command.stream().map(RecordingSystemActions::redact).toList()));
        return new EndedProgram(nextPid.getAndIncrement());
    }

    @Override
    public boolean freezeFilesystem(String mountPoint) throws IOException {
        record("fsfreeze " + mountPoint);
        return frozen.add(mountPoint);
    }

    /** Records a thaw only of what a recorded freeze froze: as FITHAW, it fails on the rest. */
    @Override
    public boolean thawFilesystem(String mountPoint) {
        if (!frozen.remove(mountPoint)) {
            return false;
        }
        try {
            record("fsthaw " + mountPoint);
        } catch (IOException e) {
            // the thaw counts; only the record of it failed
        }
        return true;
    }

    /** A program that was only recorded: it has ended with 0 and wrote nothing. */
    private static final class EndedProgram extends Process {
        private final long pid;

        EndedProgram(long pid) {
            this.pid = pid;
        }

        @Override
        public OutputStream getOutputStream() {
            return OutputStream.nullOutputStream();
        }

        @Override
        public InputStream getInputStream() {
            return InputStream.nullInputStream();
        }

        @Override
        public InputStream getErrorStream() {
            return InputStream.nullInputStream();
        }

        @Override
        public int waitFor() {
            return 0;
        }

        @Override
        public int exitValue() {
            return 0;
        }

        @Override
        public void destroy() {
        }

        @Override
        public boolean isAlive() {
            return false;
        }

        @Override
        public long pid() {
            return pid;
        }
    }

    @Override
    public boolean isRecording() {
        return true;
    }

    @Override
    public synchronized List<String> recorded() {
        return List.copyOf(lines);
    }

    /** Hides the value of options that carry secrets, e.g. {@code --activationkey=K}. */
    static String redact(String argument) {
        int equals = argument.indexOf('=');
        if (argument.startsWith("-") && equals > 0
                && SECRET_OPTION.matcher(argument.substring(0, equals)).find()) {
            return argument.substring(0, equals + 1) + "<redacted>";
        }
        return argument;
    }

    private synchronized void record(String line) throws IOException {
        String oneLine = line.replace('\n', ' ').replace('\r', ' ');
        lines.add(oneLine);
        if (logRoot != null) {
            append((oneLine + "\n").getBytes(StandardCharsets.UTF_8));
        }
    }

    /** Appends to the log, refusing a symbolic link anywhere on the way (the agent's own file). */
    private void append(byte[] line) throws IOException {
        if (!Files.isDirectory(logRoot)) {
            Files.createDirectories(logRoot);
        }
        FolderWalk walk = new FolderWalk(logRoot.toRealPath(), true);
        List<String> folders = logNames.subList(0, logNames.size() - 1);
        String name = logNames.get(logNames.size() - 1);
        try (FolderWalk.Found found = walk.open(folders, (made, holder, last) -> made.setMode(0755));
                FileHandle log = found.folder().openToAppend(name, 0600)) {
            log.write(line);
        } catch (FileSystemException e) {
            throw new IOException("Refusing to record in " + logRoot.resolve(String.join("/", logNames)) + ": "
                    + (e.getReason() != null ? e.getReason() : e.getMessage()), e);
        }
    }
}
