package org.guestagent.commands.qga;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.annotation.Annotation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

import org.guestagent.api.command.CommandArgument;
import org.guestagent.api.command.CommandException;
import org.guestagent.system.LocalGuestFiles;
import org.guestagent.system.RecordingSystemActions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** guest-fsfreeze-* over a recording seam and a mountinfo text of our own: what is frozen, when it is thawed. */
class QgaFsFreezeCommandsTest {
    static final String MOUNTINFO = String.join("\n",
            "22 27 0:21 / /proc rw,relatime - proc proc rw",
            "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw",
            "28 27 0:25 / /run rw shared:3 - tmpfs tmpfs rw",
            "49 27 7:0 / /srv/my\\040data rw,relatime shared:7 master:2 - ext4 /dev/loop0 rw",
            "50 27 0:40 / /home rw,relatime - btrfs /dev/vdb rw",
            "");

    @TempDir
    Path root;

    private static QgaFsFreezeCommands.Config config(long timeout, String mountinfo) {
        return new QgaFsFreezeCommands.Config() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return QgaFsFreezeCommands.Config.class;
            }

            @Override
            public long timeout_seconds() {
                return timeout;
            }

            @Override
            public String hook() {
                return "/etc/qemu/fsfreeze-hook";
            }

            @Override
            public String mountinfo() {
                return mountinfo;
            }

            @Override
            public String frozen_file() {
                return FROZEN_FILE;
            }
        };
    }

    static final String FROZEN_FILE = "/run/guest-agent/qga.state.isfrozen";
    /** The gate's changes, in order: true when the commands were disabled, false when enabled again. */
    private final List<Boolean> gate = new java.util.concurrent.CopyOnWriteArrayList<>();

    private RecordingSystemActions recording;

    private QgaFsFreezeCommands commands(long timeout) throws Exception {
        Path mountinfo = root.resolve("mountinfo");
        Files.writeString(mountinfo, MOUNTINFO);
        recording = new RecordingSystemActions(null);
        return new QgaFsFreezeCommands(recording, new LocalGuestFiles(root.resolve("guest")), config(timeout, mountinfo.toString()),
                gate::add);
    }

    private static CommandArgument none() {
        return CommandArgument.of(Map.of());
    }

    @Test
    void freezableMountsHaveARealDeviceOrAreBtrfs() {
        assertEquals(List.of("/", "/srv/my data", "/home"), QgaFsFreezeCommands.freezable(MOUNTINFO));
    }

    @Test
    void freezesInReverseOrderAndThawsAll() throws Exception {
        QgaFsFreezeCommands commands = commands(0);
        assertEquals("\"thawed\"", commands.status(none()));
        assertEquals("3", commands.freeze(none()));
        assertEquals("\"frozen\"", commands.status(none()));
        assertEquals(List.of("fsfreeze /home", "fsfreeze /srv/my data", "fsfreeze /"), recording.recorded());
        assertEquals("3", commands.thaw(none()));
        assertEquals("\"thawed\"", commands.status(none()));
        assertEquals("0", commands.thaw(none()));
    }

    @Test
    void freezeListFreezesOnlyTheListedMountPoints() throws Exception {
        QgaFsFreezeCommands commands = commands(0);
        assertEquals("0", commands.freezeList(CommandArgument.of(Map.of("mountpoints", List.of("/no/such")))));
        assertEquals("\"thawed\"", commands.status(none()), "nothing frozen: not frozen");
        assertEquals("1", commands.freezeList(CommandArgument.of(Map.of("mountpoints", List.of("/srv/my data")))));
        assertEquals(List.of("fsfreeze /srv/my data"), recording.recorded());
        assertEquals("Invalid parameter type for 'mountpoints[0]', expected: string",
                assertThrows(CommandException.class, () -> commands.freezeList(CommandArgument.of(Map.of("mountpoints",
                        List.of(java.math.BigInteger.ONE))))).getMessage());
        commands.stop();
    }

    @Test
    void stoppingWhileFrozenThaws() throws Exception {
        QgaFsFreezeCommands commands = commands(0);
        commands.freeze(none());
        commands.stop();
        assertTrue(recording.recorded().containsAll(List.of("fsthaw /", "fsthaw /srv/my data", "fsthaw /home")), recording.recorded().toString());
        assertEquals("\"thawed\"", commands.status(none()));
    }

    @Test
    void aFreezeTheHostDoesNotEndIsThawedAfterTheTimeout() throws Exception {
        QgaFsFreezeCommands commands = commands(1);
        commands.freeze(none());
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (commands.status(none()).equals("\"frozen\"")) {
            assertTrue(System.nanoTime() < deadline, "still frozen 60 s after a freeze with a 1 s timeout");
            Thread.sleep(50);
        }
        assertTrue(recording.recorded().contains("fsthaw /home"), recording.recorded().toString());
        commands.stop();
    }

    private Path frozenFile() {
        return root.resolve("guest" + FROZEN_FILE);
    }

    @Test
    void whileFrozenTheGateIsUpAndTheFrozenFileExists() throws Exception {
        QgaFsFreezeCommands commands = commands(0);
        assertEquals("1", commands.freezeList(CommandArgument.of(Map.of("mountpoints", List.of("/home")))));
        assertEquals(List.of(true), gate, "the commands not safe while frozen are disabled");
        assertTrue(Files.exists(frozenFile()), "the frozen file");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(frozenFile())));
        assertEquals("1", commands.thaw(none()));
        assertEquals(List.of(true, false), gate, "enabled again after the thaw");
        assertFalse(Files.exists(frozenFile()), "the frozen file is removed with the thaw");
        commands.stop();
        assertEquals(List.of(true, false), gate);
    }

    @Test
    void aFreezeOfNothingEnablesAgainAndLeavesNoFile() throws Exception {
        QgaFsFreezeCommands commands = commands(0);
        assertEquals("0", commands.freezeList(CommandArgument.of(Map.of("mountpoints", List.of("/no/such")))));
        assertEquals(List.of(true, false), gate);
        assertFalse(Files.exists(frozenFile()));
        commands.stop();
    }

    @Test
    void stoppingWhileFrozenEnablesAgainAndRemovesTheFile() throws Exception {
        QgaFsFreezeCommands commands = commands(0);
        commands.freeze(none());
        commands.stop();
        assertEquals(List.of(true, false), gate);
        assertFalse(Files.exists(frozenFile()));
    }

    @Test
    void anAgentKilledWhileFrozenStartsFrozenUntilTheThaw() throws Exception {
        Files.createDirectories(frozenFile().getParent());
        Files.write(frozenFile(), new byte[0]);
        QgaFsFreezeCommands commands = commands(0);
        assertEquals("\"frozen\"", commands.status(none()));
        assertEquals(List.of(true), gate, "disabled from the start");
        assertEquals(List.of(), recording.recorded(), "nothing frozen anew");
        assertEquals("0", commands.thaw(none()), "this recording seam froze nothing: nothing to thaw");
        assertEquals(List.of(true, false), gate);
        assertFalse(Files.exists(frozenFile()));
        assertEquals("\"thawed\"", commands.status(none()));
        commands.stop();
    }

    @Test
    void aFrozenStateFoundAtStartIsThawedAfterTheTimeout() throws Exception {
        Files.createDirectories(frozenFile().getParent());
        Files.write(frozenFile(), new byte[0]);
        QgaFsFreezeCommands commands = commands(1);
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (commands.status(none()).equals("\"frozen\"")) {
            assertTrue(System.nanoTime() < deadline, "still frozen 60 s after a start with a 1 s timeout");
            Thread.sleep(50);
        }
        assertEquals(List.of(true, false), gate);
        assertFalse(Files.exists(frozenFile()));
        commands.stop();
    }

    @Test
    void theHookRunsBeforeTheFreezeAndAfterTheThaw() throws Exception {
        QgaFsFreezeCommands commands = commands(0);
        Path hook = root.resolve("guest/etc/qemu/fsfreeze-hook");
        Files.createDirectories(hook.getParent());
        Files.writeString(hook, "#!/bin/sh\nexit 0\n");
        Files.setPosixFilePermissions(hook, PosixFilePermissions.fromString("rwxr-xr-x"));
        String script = hook.toRealPath().toString();
        commands.freezeList(CommandArgument.of(Map.of("mountpoints", List.of("/"))));
        commands.thaw(none());
        assertEquals(List.of("run " + script + " freeze", "fsfreeze /", "fsthaw /", "run " + script + " thaw"), recording.recorded());
        Files.setPosixFilePermissions(hook, PosixFilePermissions.fromString("rw-r--r--"));
        if (!"root".equals(System.getProperty("user.name"))) {
            assertEquals("can't access fsfreeze hook '" + script + "': Permission denied",
                    assertThrows(CommandException.class, () -> commands.freeze(none())).getMessage());
        }
        commands.stop();
    }
}
