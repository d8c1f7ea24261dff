package org.guestagent.launcher;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.StreamHandler;

/**
 * Logging under systemd: when the agent runs in the foreground with its stdout connected to the
 * journal (the stream {@code JOURNAL_STREAM} names) and no {@code --logfile} was given, each line goes to stdout
 * with its syslog priority in front ({@code <3>} error, {@code <4>} warning, {@code <6>} info,
 * {@code <7>} debug), which journald strips and keeps as the entry's priority. The journal adds
 * time and process, so a line holds level name, logger and message only. Elsewhere the log file
 * stays ({@link LogSetup}).
 */
final class JournalLog {
    private JournalLog() {
    }

    /** Whether the log goes to the journal rather than to the log file. */
    static boolean wanted(Options options) {
        return options.readyFile == null && options.logFile == null && stdoutIs(System.getenv("JOURNAL_STREAM"));
    }

    /**
     * Whether stdout is the journal stream {@code JOURNAL_STREAM} names ({@code <device>:<inode>}):
     * a child of a service inherits the variable with another stdout, which must not be taken for
     * the journal (as sd_journal_stream_fd(3) advises, device and inode are compared).
     */
    static boolean stdoutIs(String journalStream) {
        if (journalStream == null || !journalStream.matches("\\d+:\\d+")) {
            return false;
        }
        try {
            Path stdout = Path.of("/proc/self/fd/1");
            long device = ((Number) Files.getAttribute(stdout, "unix:dev")).longValue();
            long inode = ((Number) Files.getAttribute(stdout, "unix:ino")).longValue();
            return journalStream.equals(Long.toUnsignedString(device) + ":" + Long.toUnsignedString(inode));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    static void install(String level) {
        PrintStream stdout = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
        StreamHandler handler = new StreamHandler(stdout, new JournalFormatter()) {
            @Override
            public synchronized void publish(LogRecord record) {
                super.publish(record);
                flush(); // one line at a time: the journal sees it when it happens
            }
        };
        handler.setLevel(Level.ALL);
        Logger root = LogManager.getLogManager().getLogger("");
        for (Handler h : root.getHandlers()) {
            root.removeHandler(h);
        }
        root.addHandler(handler);
        root.setLevel(LogSetup.LEVELS.get(level));
    }

    /** syslog(3) priority of a java.util.logging level. */
    static int priority(Level level) {
        int v = level.intValue();
        if (v >= Level.SEVERE.intValue()) return 3;
        if (v >= Level.WARNING.intValue()) return 4;
        if (v >= Level.INFO.intValue()) return 6;
        return 7;
    }

    /** {@code <p>LEVEL [logger] message}, escaped as in the log file; each trace line carries the priority too. */
    static final class JournalFormatter extends Formatter {
        @Override
        public String format(LogRecord r) {
            String prefix = "<" + priority(r.getLevel()) + ">";
            StringBuilder line = new StringBuilder(160).append(prefix)
                    .append(r.getLevel() == null ? "" : levelName(r.getLevel())).append(' ')
                    .append('[').append(r.getLoggerName()).append("] ")
                    .append(LogSetup.LineFormatter.escape(formatMessage(r))).append('\n');
            if (r.getThrown() != null) {
                StringWriter trace = new StringWriter();
                r.getThrown().printStackTrace(new PrintWriter(trace));
                for (String traceLine : trace.toString().split("\\R")) {
                    line.append(prefix).append('\t').append(LogSetup.LineFormatter.escape(traceLine)).append('\n');
                }
            }
            return line.toString();
        }

        private static String levelName(Level level) {
            return switch (priority(level)) {
                case 3 -> "ERROR";
                case 4 -> "WARN";
                case 6 -> "INFO";
                default -> "DEBUG";
            };
        }
    }
}
