package org.guestagent.system;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import org.guestagent.api.system.SystemActions;

/**
 * Acts on nothing: writes each action down as one line ({@code sethostname web1},
 * {@code run systemctl restart networking}), in memory and appended to a log file that tests
 * on a running agent can read. Standard input given to a program is never recorded.
 */
public class RecordingSystemActions implements SystemActions {

    /** Where the log lies below the root folder. */
    public static final String LOG_PATH = "var/lib/guest-agent/actions.log";

    private static final Pattern SECRET_OPTION = Pattern.compile("(?i)key|password|passwd|secret|token");

    private final Path logFile;
    private final List<String> lines = new ArrayList<>();

    /** @param logFile the file lines are appended to, or null to keep them only in memory */
    public RecordingSystemActions(Path logFile) {
        this.logFile = logFile;
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
        if (logFile != null) {
            Files.createDirectories(logFile.getParent());
            Files.writeString(logFile, oneLine + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }
    }
}
