package org.guestagent.launcher;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.StreamHandler;

/**
 * Routes java.util.logging (and so System.Logger, which defaults to it) to the log file at the
 * chosen level. The JDK resets logging in its own shutdown hook, which would lose the lines of a
 * clean stop; {@link AgentLogManager} defers that until the launcher's hook is done.
 */
final class LogSetup {
    /** Our level names, in order, mapped to java.util.logging levels. */
    static final Map<String, Level> LEVELS = new LinkedHashMap<>();

    static {
        LEVELS.put("error", Level.SEVERE);
        LEVELS.put("warn", Level.WARNING);
        LEVELS.put("info", Level.INFO);
        LEVELS.put("debug", Level.FINE);
        LEVELS.put("trace", Level.FINEST);
    }

    private LogSetup() {
    }

    /** Must run before anything touches java.util.logging. */
    static void installLogManager() {
        System.setProperty("java.util.logging.manager", AgentLogManager.class.getName());
    }

    /** group: the group that may read the log (mode 0640), or null for a log only its owner reads (0600). */
    static void toFile(OwnFiles own, Path file, String level, String group) throws ConfigException {
        try {
            String mode = logMode(group);
            // opened by us, never through a symbolic link (FileHandler would follow one)
            Handler handler = new AppendingHandler(Channels.newOutputStream(own.append(file, mode)));
            own.restrict(file, mode, group);
            handler.setEncoding("UTF-8");
            handler.setFormatter(new LineFormatter());
            handler.setLevel(Level.ALL);
            Logger root = LogManager.getLogManager().getLogger("");
            for (Handler h : root.getHandlers()) {
                root.removeHandler(h);
            }
            root.addHandler(handler);
            root.setLevel(LEVELS.get(level));
        } catch (IOException | SecurityException e) {
            throw new ConfigException("cannot write log file " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The log may hold what local users must not read (request ids, guest facts): it is created
     * 0600, or 0640 owned by the configured group, and an existing log gets that mode too.
     */
    static void restrictMode(Path file, String group) throws IOException {
        OwnFiles own = new OwnFiles(null);
        own.append(file, logMode(group)).close();
        own.restrict(file, logMode(group), group);
    }

    private static String logMode(String group) {
        return group == null ? "rw-------" : "rw-r-----";
    }

    /** Like FileHandler: each record is flushed to the file at once. */
    private static final class AppendingHandler extends StreamHandler {
        AppendingHandler(OutputStream out) {
            setOutputStream(out);
        }

        @Override
        public synchronized void publish(LogRecord record) {
            super.publish(record);
            flush();
        }
    }

    /** In daemon mode nobody reads stdout/stderr: send what bundles print there to the log. */
    static void captureConsole() {
        System.setOut(new PrintStream(new LineLogger(Logger.getLogger("stdout"), Level.INFO), true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(new LineLogger(Logger.getLogger("stderr"), Level.WARNING), true, StandardCharsets.UTF_8));
    }

    /** Finishes logging: flushes and closes the file. */
    static void close() {
        if (LogManager.getLogManager() instanceof AgentLogManager m) {
            m.finalReset();
        } else {
            LogManager.getLogManager().reset();
        }
    }

    /** Felix's level numbers (1 error .. 4 debug) for our level name. */
    static int felixLevel(String level) {
        return switch (level) {
            case "error" -> 1;
            case "warn" -> 2;
            case "info" -> 3;
            default -> 4;
        };
    }

    /** A LogManager whose reset waits for the launcher (see the class comment). */
    public static final class AgentLogManager extends LogManager {
        private volatile boolean closing;

        @Override
        public void reset() {
            if (closing || calledByJdkCleaner()) {
                return;
            }
            super.reset();
        }

        private static boolean calledByJdkCleaner() {
            // The JDK calls reset() from its own hook thread at exit; skip that call.
            for (StackTraceElement e : Thread.currentThread().getStackTrace()) {
                if (e.getClassName().startsWith("java.util.logging.LogManager$Cleaner")) {
                    return true;
                }
            }
            return false;
        }

        void finalReset() {
            super.reset();
            closing = true;
        }
    }

    /** One line per record: time, level, logger, message, and the stack trace when there is one. */
    static final class LineFormatter extends Formatter {
        private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS").withZone(ZoneId.systemDefault());

        @Override
        public String format(LogRecord r) {
            StringBuilder line = new StringBuilder(160);
            line.append(TIME.format(Instant.ofEpochMilli(r.getMillis()))).append(' ')
                    .append(name(r.getLevel())).append(' ')
                    .append('[').append(r.getLoggerName()).append("] ")
                    .append(escape(formatMessage(r))).append(System.lineSeparator());
            if (r.getThrown() != null) {
                // a trace has lines of its own; each is indented, so none can pass for a record
                StringWriter trace = new StringWriter();
                r.getThrown().printStackTrace(new PrintWriter(trace));
                for (String traceLine : trace.toString().split("\\R")) {
                    line.append('\t').append(escape(traceLine)).append(System.lineSeparator());
                }
            }
            return line.toString();
        }

        /**
         * Control characters (CR, LF, ESC ...) and Unicode line separators in a message become
         * visible escapes, so that text from the host (an argument, a file name) cannot start a
         * new log line or move the terminal's cursor.
         */
        static String escape(String message) {
            if (message == null) {
                return "null";
            }
            StringBuilder out = null;
            for (int i = 0; i < message.length(); i++) {
                char c = message.charAt(i);
                boolean control = c < 0x20 && c != '\t' || c == 0x7f || c >= 0x80 && c < 0xa0 || c == 0x2028 || c == 0x2029;
                if (control && out == null) {
                    out = new StringBuilder(message.length() + 16).append(message, 0, i);
                }
                if (out != null) {
                    if (!control) {
                        out.append(c);
                    } else if (c == '\n') {
                        out.append("\\n");
                    } else if (c == '\r') {
                        out.append("\\r");
                    } else {
                        out.append(String.format("\\u%04x", (int) c));
                    }
                }
            }
            return out == null ? message : out.toString();
        }

        private static String name(Level level) {
            int v = level.intValue();
            if (v >= Level.SEVERE.intValue()) return "ERROR";
            if (v >= Level.WARNING.intValue()) return "WARN ";
            if (v >= Level.INFO.intValue()) return "INFO ";
            if (v >= Level.FINE.intValue()) return "DEBUG";
            return "TRACE";
        }
    }

    /** An output stream that logs each line written to it. */
    private static final class LineLogger extends OutputStream {
        private final Logger logger;
        private final Level level;
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();

        LineLogger(Logger logger, Level level) {
            this.logger = logger;
            this.level = level;
        }

        @Override
        public synchronized void write(int b) {
            if (b == '\n') {
                flushLine();
            } else if (line.size() < 16384) {
                line.write(b);
            }
        }

        @Override
        public synchronized void flush() {
            // lines are logged when complete
        }

        private void flushLine() {
            String text = line.toString(StandardCharsets.UTF_8).stripTrailing();
            line.reset();
            if (!text.isEmpty()) {
                logger.log(level, text);
            }
        }
    }
}
