package org.guestagent.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

class OptionsTest {

    @Test
    void readsEveryOption() throws Exception {
        Options o = Options.parse(new String[] {"--foreground", "--pidfile", "/run/a.pid", "--logfile=/tmp/a.log",
                "--log-level", "DEBUG", "--config", "/etc/ga", "--root", "/tmp/r", "--features", "core, shell"});
        assertTrue(o.foreground);
        assertEquals(Path.of("/run/a.pid"), o.pidFile);
        assertEquals(Path.of("/tmp/a.log"), o.logFile);
        assertEquals("debug", o.logLevel);
        assertEquals(Path.of("/etc/ga"), o.configDir);
        assertEquals(Path.of("/tmp/r"), o.root);
        assertEquals(List.of("core", "shell"), o.features);
        assertFalse(o.shell);
    }

    @Test
    void shellSubcommandTakesOnlyWhereToConnect() throws Exception {
        Options o = Options.parse(new String[] {"shell", "--root", "/tmp/r"});
        assertTrue(o.shell);
        UsageException e = assertThrows(UsageException.class, () -> Options.parse(new String[] {"shell", "--foreground"}));
        assertTrue(e.getMessage().contains("shell subcommand"), e.getMessage());
    }

    @Test
    void rejectsWhatItDoesNotKnow() {
        assertEquals("unknown option '--bogus'", assertThrows(UsageException.class, () -> Options.parse(new String[] {"--bogus"})).getMessage());
        assertEquals("unexpected argument 'start'", assertThrows(UsageException.class, () -> Options.parse(new String[] {"start"})).getMessage());
        assertEquals("option '--pidfile' needs a value", assertThrows(UsageException.class, () -> Options.parse(new String[] {"--pidfile"})).getMessage());
        assertEquals("option '--logfile' needs a value", assertThrows(UsageException.class, () -> Options.parse(new String[] {"--logfile", "--foreground"})).getMessage());
        assertTrue(assertThrows(UsageException.class, () -> Options.parse(new String[] {"--log-level", "loud"})).getMessage()
                .startsWith("unknown log level 'loud'"));
        assertEquals("--console needs --foreground", assertThrows(UsageException.class, () -> Options.parse(new String[] {"--console"})).getMessage());
    }
}
