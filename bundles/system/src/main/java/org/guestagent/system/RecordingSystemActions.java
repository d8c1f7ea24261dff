package org.guestagent.system;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.FileSystemException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
