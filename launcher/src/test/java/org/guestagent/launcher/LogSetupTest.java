package org.guestagent.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.LogRecord;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogSetupTest {
    @TempDir
    Path dir;

    private static String format(String message, Object... parameters) {
        LogRecord r = new LogRecord(Level.INFO, message);
        r.setLoggerName("test");
        r.setParameters(parameters);
        return new LogSetup.LineFormatter().format(r);
    }

    @Test
    void aNewlineInAnArgumentStaysOnOneLogLine() {
        String forged = "x\n2026-12-01 10:00:00.000 INFO  [org.guestagent.core.CommandRegistryImpl] request 1: password(<redacted>)";
        String text = format("request {0}: {1}({2})", "r1", "sample_echo", forged);
        List<String> lines = text.lines().toList();
        assertEquals(1, lines.size(), text);
        assertTrue(lines.get(0).endsWith("sample_echo(x\\n2026-12-01 10:00:00.000 INFO  [org.guestagent.core.CommandRegistryImpl]"
                + " request 1: password(<redacted>))"), lines.get(0));
    }

    @Test
    void carriageReturnsEscapesAndLineSeparatorsAreEscaped() {
        String line = format("a\rb\u001b[2Kc\u2028d\u0085e\tf").stripTrailing();
        assertTrue(line.endsWith("a\\rb\\u001b[2Kc\\u2028d\\u0085e\tf"), line);
    }

    @Test
    void aThrowableMessageCannotForgeARecord() {
        LogRecord r = new LogRecord(Level.WARNING, "failed");
        r.setLoggerName("test");
        r.setThrown(new IOException("bad\n2026-12-01 10:00:00.000 ERROR [x] forged"));
        for (String line : new LogSetup.LineFormatter().format(r).lines().skip(1).toList()) {
            assertTrue(line.startsWith("\t"), line);
        }
    }

    @Test
    void theLogIsCreatedForItsOwnerOnly() throws Exception {
        Path file = dir.resolve("guest-agent.log");
        LogSetup.restrictMode(file, null);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        // an older log readable by everyone is narrowed, its content kept
        Files.writeString(file, "old line\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-rw-"));
        LogSetup.restrictMode(file, null);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals("old line\n", Files.readString(file));
    }

    @Test
    void aConfiguredGroupMayRead() throws Exception {
        Path file = dir.resolve("grouped.log");
        String own = Files.readAttributes(dir, PosixFileAttributes.class).group().getName();
        // another group than the folder's, so the test sees the group really set
        String group = Files.readAllLines(Path.of("/etc/group")).stream().map(l -> l.split(":")[0])
                .filter(g -> !g.equals(own)).findFirst().orElse(own);
        LogSetup.restrictMode(file, group);
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals(group, Files.readAttributes(file, PosixFileAttributes.class).group().getName());
    }
}
