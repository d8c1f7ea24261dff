package org.guestagent.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import org.guestagent.api.command.Command;
import org.guestagent.api.command.CommandArgument;
import org.guestagent.api.command.CommandSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;

/**
 * A quiet command (routine, read-only) is not logged at info, so a host polling it costs no log
 * line; a command that changes the guest still is, with its argument (redacted when secret).
 */
class RequestLogTest {

    public static class Set implements CommandSet {
        @Command(value = "guest-ping", quiet = true)
        public String ping() {
            return "";
        }

        @Command("guest-set-time")
        public String setTime(CommandArgument argument) {
            return "";
        }

        @Command(value = "password", secret = true)
        public String password(CommandArgument argument) {
            return "";
        }
    }

    private final Logger logger = Logger.getLogger(CommandRegistryImpl.class.getName());
    private final List<LogRecord> records = new CopyOnWriteArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            if (isLoggable(record)) {
                records.add(record);
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    private Level previousLevel;

    @BeforeEach
    void capture() {
        previousLevel = logger.getLevel();
        capture.setLevel(Level.ALL);
        logger.addHandler(capture);
    }

    @AfterEach
    void release() {
        logger.removeHandler(capture);
        logger.setLevel(previousLevel);
    }

    private static CommandTable table() {
        ServiceReference<?> ref = (ServiceReference<?>) Proxy.newProxyInstance(RequestLogTest.class.getClassLoader(),
                new Class<?>[] { ServiceReference.class },
                (proxy, method, args) -> "getProperty".equals(method.getName())
                        ? Map.of(Constants.SERVICE_ID, 1L).get(args[0]) : null);
        CommandTable table = new CommandTable();
        table.add(ref, new Set());
        return table;
    }

    private static void log(CommandTable table, String requestId, String command, CommandArgument argument) {
        CommandRegistryImpl.logRequest(requestId, command, table.winner(command).resolve(), argument);
    }

    private String seen() {
        return records.stream().map(r -> r.getLevel() + " " + java.text.MessageFormat.format(r.getMessage(),
                r.getParameters())).toList().toString();
    }

    @Test
    void atInfoOnlyTheGuestChangingCommandsAreLogged() {
        logger.setLevel(Level.INFO);
        CommandTable table = table();
        log(table, "r-1", "guest-ping", CommandArgument.NONE);
        log(table, "r-2", "guest-set-time", CommandArgument.of("1700000000"));
        log(table, "r-3", "password", CommandArgument.of("s3cret"));

        assertEquals(2, records.size(), "records: " + seen());
        assertEquals(Level.INFO, records.get(0).getLevel(), seen());
        assertTrue(seen().contains("INFO request r-2: guest-set-time(1700000000)"), seen());
        assertTrue(seen().contains("INFO request r-3: password(<redacted>)"), seen());
        assertTrue(!seen().contains("guest-ping") && !seen().contains("s3cret"), seen());
    }

    @Test
    void atDebugTheQuietCommandIsLoggedTooAtDebug() {
        logger.setLevel(Level.FINE);
        log(table(), "r-4", "guest-ping", CommandArgument.NONE);

        assertEquals(1, records.size(), "records: " + seen());
        assertEquals(Level.FINE, records.get(0).getLevel(), seen());
        assertTrue(seen().contains("request r-4: guest-ping("), seen());
    }
}
