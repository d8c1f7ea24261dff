package org.guestagent.commands.kms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

import org.guestagent.api.command.CommandArgument;
import org.guestagent.api.command.CommandContext;
import org.guestagent.api.command.CommandException;
import org.guestagent.api.command.Command;
import org.guestagent.api.system.SystemActions.ExecResult;
import org.guestagent.testsupport.FakeRhsm;
import org.guestagent.testsupport.TestGuestFiles;
import org.guestagent.testsupport.TestSystemActions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KmsActivateCommandsTest {
    private static final String KEY = "ak-secret-4711";

    @TempDir
    Path root;
    TestSystemActions actions = new TestSystemActions();
    KmsActivateCommands commands;

    private final CommandContext context = CommandContext.of("req-1", null);

    @BeforeEach
    void setUp() {
        commands = new KmsActivateCommands(new TestGuestFiles(root), actions);
    }

    private void osRelease(String content) throws Exception {
        Files.createDirectories(root.resolve("etc"));
        Files.writeString(root.resolve("etc/os-release"), content);
    }

    private void tool() throws Exception {
        Path tool = Files.createDirectories(root.resolve("usr/sbin")).resolve("subscription-manager");
        Files.writeString(tool, "#!/bin/sh\n");
        Files.setPosixFilePermissions(tool, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private String activate(Map<String, Object> value) throws Exception {
        return commands.kmsactivate(CommandArgument.of(value), context);
    }

    @Test
    void registersWithKeyAndOrganisationAsSeparateArguments() throws Exception {
        osRelease("NAME=\"Rocky Linux\"\nID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\n");
        tool();
        assertEquals("", activate(Map.of("activation_key", KEY, "org", "acme", "profile", "p", "domains", List.of("d"))));
        assertEquals(List.of(List.of("/usr/sbin/subscription-manager", "register",
                "--activationkey=" + KEY, "--org=acme")), actions.commands);
    }

    @Test
    void otherDistributionsAreRefused() throws Exception {
        osRelease("ID=debian\n");
        tool();
        CommandException e = assertThrows(CommandException.class, () -> activate(Map.of("activation_key", KEY, "org", "o")));
        assertEquals(org.guestagent.api.command.CommandResult.Status.FAILED, e.status());
        assertTrue(e.getMessage().contains("Red Hat"), e.getMessage());
        assertTrue(actions.commands.isEmpty());
    }

    @Test
    void missingToolIsRefused() throws Exception {
        osRelease("ID=\"rhel\"\n");
        CommandException e = assertThrows(CommandException.class, () -> activate(Map.of("activation_key", KEY, "org", "o")));
        assertTrue(e.getMessage().contains("subscription-manager"), e.getMessage());
    }

    @Test
    void failureMessageNeverHoldsTheKey() throws Exception {
        osRelease("ID=fedora\n");
        tool();
        actions.answer = new ExecResult(70, "", "activation key '" + KEY + "' not found\n");
        CommandException e = assertThrows(CommandException.class, () -> activate(Map.of("activation_key", KEY, "organization", "o")));
        assertFalse(e.getMessage().contains(KEY), e.getMessage());
        assertTrue(e.getMessage().contains("not found"), e.getMessage());
        assertTrue(actions.commands.get(0).contains("--org=o"));
    }

    @Test
    void theKeyGoesOverRhsmsDbusApiAndOnNoCommandLine(@TempDir Path scratch) throws Exception {
        assumeTrue(FakeRhsm.available(), "needs dbus-daemon and python3-dbus, python3-gi");
        osRelease("ID=\"rhel\"\n");
        tool();
        try (FakeRhsm rhsm = FakeRhsm.start(root, scratch)) {
            assertEquals("", activate(Map.of("activation_key", KEY, "org", "acme")));
            assertEquals(List.of(), actions.commands, "no process was started: the key was on no command line");
            assertEquals(1, rhsm.registrations().size(), rhsm.registrations().toString());
            assertTrue(rhsm.registrations().get(0).contains("\"org\": \"acme\", \"keys\": [\"" + KEY + "\"]"),
                    rhsm.registrations().toString());
        }
    }

    @Test
    void aKeyRhsmRefusesIsA500WithItsReasonAndNoFallback(@TempDir Path scratch) throws Exception {
        assumeTrue(FakeRhsm.available(), "needs dbus-daemon and python3-dbus, python3-gi");
        osRelease("ID=\"rhel\"\n");
        tool();
        try (FakeRhsm rhsm = FakeRhsm.start(root, scratch)) {
            CommandException e = assertThrows(CommandException.class, () -> activate(Map.of("activation_key", "refused-key")));
            assertEquals(org.guestagent.api.command.CommandResult.Status.FAILED, e.status());
            assertTrue(e.getMessage().contains("None of the activation keys specified exist"), e.getMessage());
            assertFalse(e.getMessage().contains("refused-key"), e.getMessage());
            assertEquals(List.of(), actions.commands, "RHSM answered: the command line is not tried");
            assertTrue(rhsm.registrations().get(0).contains("\"org\": \"\""), rhsm.registrations().toString());
        }
    }

    @Test
    void withoutTheDbusApiTheCommandLineFallbackIsLogged() throws Exception {
        osRelease("ID=\"rhel\"\n");
        tool();
        List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Handler capture = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                lines.add(r.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        java.util.logging.Logger logger = java.util.logging.Logger.getLogger(KmsActivateCommands.class.getName());
        logger.addHandler(capture);
        try {
            assertEquals("", activate(Map.of("activation_key", KEY, "org", "acme")));
        } finally {
            logger.removeHandler(capture);
        }
        assertEquals(1, actions.commands.size());
        assertTrue(lines.stream().anyMatch(l -> l.contains("D-Bus API is not available") && l.contains("falling back")), lines.toString());
        assertFalse(lines.stream().anyMatch(l -> l.contains(KEY)), lines.toString());
    }

    @Test
    void commandIsMarkedSecret() throws Exception {
        Command command = KmsActivateCommands.class.getMethod("kmsactivate", CommandArgument.class, CommandContext.class)
                .getAnnotation(Command.class);
        assertTrue(command.secret());
    }
}
