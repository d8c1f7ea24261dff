package org.guestagent.commands.update;

import static org.guestagent.commands.update.TestArtifacts.md5;
import static org.guestagent.commands.update.TestArtifacts.sha256;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import org.guestagent.api.command.Command;
import org.guestagent.api.command.CommandException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.Version;

/** The findings of issue 15 about agentupdate, each tried as an attack. */
class AgentUpdateTrustTest {

    @TempDir
    Path scratch;

    @Test
    void sha256AloneInTheTextFormIsCheckedAndInstalls() throws Exception {
        try (UpdateFixture fixture = new UpdateFixture(scratch, 1 << 20)) {
            byte[] jar = TestArtifacts.bundle("test.sha", "1.0.0");
            String url = fixture.serve("/sha.jar", jar);
            CommandException e = assertThrows(CommandException.class, () -> fixture.update(url, "ab".repeat(32)));
            assertTrue(e.getMessage().contains("SHA-256 mismatch"), e.getMessage());
            assertNull(fixture.bundle("test.sha"));
            assertEquals("", fixture.update(url, sha256(jar)));
            assertNotNull(fixture.bundle("test.sha"));
        }
    }

    @Test
    void httpIsRefusedUnlessConfigured() throws Exception {
        try (UpdateFixture fixture = new UpdateFixture(scratch, 1 << 20, false, false, null)) {
            byte[] jar = TestArtifacts.bundle("test.http", "1.0.0");
            String url = fixture.serve("/h.jar", jar);
            CommandException e = assertThrows(CommandException.class, () -> fixture.update(url, md5(jar)));
            assertTrue(e.getMessage().contains("http is not allowed"), e.getMessage());
            assertNull(fixture.bundle("test.http"));
        }
    }

    @Test
    void downgradeIsRefusedUnlessConfigured() throws Exception {
        byte[] older = TestArtifacts.bundle("test.down", "1.0.0");
        try (UpdateFixture fixture = new UpdateFixture(scratch.resolve("strict"), 1 << 20)) {
            Bundle installed = fixture.install(TestArtifacts.bundle("test.down", "2.0.0"), "feature:test.down");
            String url = fixture.serve("/old.jar", older);
            CommandException e = assertThrows(CommandException.class, () -> fixture.update(url, md5(older)));
            assertTrue(e.getMessage().contains("downgrade test.down from 2.0.0 to 1.0.0"), e.getMessage());
            assertEquals(new Version(2, 0, 0), installed.getVersion());
        }
        try (UpdateFixture fixture = new UpdateFixture(scratch.resolve("forced"), 1 << 20, true, true, null)) {
            Bundle installed = fixture.install(TestArtifacts.bundle("test.down", "2.0.0"), "feature:test.down");
            assertEquals("", fixture.update(fixture.serve("/old.jar", older), md5(older)));
            assertEquals(new Version(1, 0, 0), installed.getVersion());
        }
    }

    @Test
    void signedModeTakesOnlyJarsSignedByATrustedKey() throws Exception {
        Path trustStore = scratch.resolve("trust.p12");
        TestSigner trusted = TestSigner.create(scratch, "trusted");
        trusted.trustIn(trustStore);
        TestSigner stranger = TestSigner.create(scratch, "stranger");
        try (UpdateFixture fixture = new UpdateFixture(scratch.resolve("agent"), 1 << 20, true, false, trustStore)) {
            byte[] unsigned = TestArtifacts.bundle("test.signed", "1.0.0");
            CommandException e = assertThrows(CommandException.class,
                    () -> fixture.update(fixture.serve("/unsigned.jar", unsigned), md5(unsigned)));
            assertTrue(e.getMessage().contains("not signed"), e.getMessage());

            byte[] foreign = stranger.sign(unsigned, scratch);
            e = assertThrows(CommandException.class, () -> fixture.update(fixture.serve("/foreign.jar", foreign), md5(foreign)));
            assertTrue(e.getMessage().contains("not signed by a trusted certificate"), e.getMessage());

            byte[] tampered = TestArtifacts.withEntry(trusted.sign(unsigned, scratch), "data/version.txt", "6.6.6");
            e = assertThrows(CommandException.class, () -> fixture.update(fixture.serve("/tampered.jar", tampered), md5(tampered)));
            assertTrue(e.getMessage().contains("does not verify"), e.getMessage());

            byte[] tgz = TestArtifacts.tarGz(java.util.Map.of("installer.sh", "exit 0\n".getBytes()));
            e = assertThrows(CommandException.class, () -> fixture.update(fixture.serve("/a.tgz", tgz), md5(tgz)));
            assertTrue(e.getMessage().contains("installer tarball cannot be verified"), e.getMessage());
            assertNull(fixture.bundle("test.signed"));

            byte[] signed = trusted.sign(unsigned, scratch);
            assertEquals("", fixture.update(fixture.serve("/signed.jar", signed), md5(signed)));
            assertEquals(Bundle.ACTIVE, fixture.bundle("test.signed").getState());
        }
    }

    @Test
    void credentialsOfTheUrlReachNoLogLine() throws Exception {
        assertTrue(UpdateCommands.class.getMethod("agentupdate", org.guestagent.api.command.CommandArgument.class,
                org.guestagent.api.command.CommandContext.class).getAnnotation(Command.class).secret(),
                "the core must not log agentupdate's raw argument");
        List<String> lines = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord r) {
                lines.add(r.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger logger = Logger.getLogger(UpdateManager.class.getName());
        logger.addHandler(capture);
        try (UpdateFixture fixture = new UpdateFixture(scratch, 1 << 20)) {
            byte[] jar = TestArtifacts.bundle("test.cred", "1.0.0");
            String url = fixture.serve("/c.jar", jar).replace("http://", "http://user:s3cret@") + "?X-Amz-Signature=deadbeef";
            assertEquals("", fixture.update(url, md5(jar)));
            assertNotNull(fixture.bundle("test.cred"));
        } finally {
            logger.removeHandler(capture);
        }
        assertTrue(lines.stream().anyMatch(l -> l.contains("agentupdate from http://127.0.0.1:")), lines.toString());
        assertFalse(lines.stream().anyMatch(l -> l.contains("s3cret") || l.contains("user") || l.contains("deadbeef")), lines.toString());
    }
}
