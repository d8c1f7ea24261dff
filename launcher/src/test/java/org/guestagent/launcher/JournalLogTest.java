package org.guestagent.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.logging.Level;
import java.util.logging.LogRecord;

import org.junit.jupiter.api.Test;

class JournalLogTest {

    @Test
    void eachLineCarriesItsSyslogPriorityAndHostTextCannotStartALine() {
        JournalLog.JournalFormatter f = new JournalLog.JournalFormatter();
        assertEquals("<6>INFO [x] up\n", f.format(record(Level.INFO, "up")));
        assertEquals("<4>WARN [x] slow\n", f.format(record(Level.WARNING, "slow")));
        assertEquals("<3>ERROR [x] failed\n", f.format(record(Level.SEVERE, "failed")));
        assertEquals("<7>DEBUG [x] detail\n", f.format(record(Level.FINE, "detail")));
        assertEquals("<6>INFO [x] a\\n<3>forged\n", f.format(record(Level.INFO, "a\n<3>forged")));
        LogRecord withTrace = record(Level.SEVERE, "boom");
        withTrace.setThrown(new IllegalStateException("cause"));
        for (String line : f.format(withTrace).split("\n")) {
            assertEquals("<3>", line.substring(0, 3), "every line of a trace keeps the priority: " + line);
        }
    }

    @Test
    void stdoutIsTheJournalOnlyWhenJournalStreamNamesIt() {
        assertFalse(JournalLog.stdoutIs(null));
        assertFalse(JournalLog.stdoutIs("garbage"));
        assertFalse(JournalLog.stdoutIs("0:0"), "a stream inherited from elsewhere is not our stdout");
    }

    private static LogRecord record(Level level, String message) {
        LogRecord r = new LogRecord(level, message);
        r.setLoggerName("x");
        return r;
    }
}
