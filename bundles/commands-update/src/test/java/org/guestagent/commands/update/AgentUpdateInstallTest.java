package org.guestagent.commands.update;

import static org.guestagent.commands.update.TestArtifacts.md5;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.guestagent.api.command.CommandException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.Version;

/** Installing, updating and rolling back bundles in a real (embedded) framework. */
class AgentUpdateInstallTest {

    @TempDir
    Path scratch;
    UpdateFixture fixture;

    @BeforeEach
    void start() throws Exception {
        fixture = new UpdateFixture(scratch, 1024 * 1024);
    }

    @AfterEach
    void stop() throws Exception {
        // a deferred update's thread removes its work folder after the test's last check: let it
        // finish before JUnit deletes the scratch folder under it
        UpdateFixture.eventually(() -> {
            try {
                return fixture.tempIsEmpty();
            } catch (java.io.IOException e) {
                return false;
            }
        });
        fixture.close();
    }

    private String updateWith(String path, byte[] data) throws Exception {
        return fixture.update(fixture.serve(path, data), md5(data));
    }

    private static String versionResource(Bundle b) throws Exception {
        try (InputStream in = b.getEntry("data/version.txt").openStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void newBundleIsInstalledStartedAndRecorded() throws Exception {
        assertEquals("", updateWith("/a.jar", TestArtifacts.bundle("test.a", "1.0.0")));
        Bundle a = fixture.bundle("test.a");
        assertNotNull(a);
        assertEquals(Bundle.ACTIVE, a.getState());
        assertTrue(Files.readString(fixture.state(UpdateHistory.INSTALLED)).contains("test.a 1.0.0 bundles/test.a-1.0.0.jar"));
        assertTrue(Files.exists(fixture.state("bundles/test.a-1.0.0.jar")));
        assertTrue(fixture.tempIsEmpty());
    }

    @Test
    void existingBundleIsUpdatedInPlaceAndRolledBack() throws Exception {
        Bundle a = fixture.install(TestArtifacts.bundle("test.a", "1.0.0"), "feature:test.a");
        long id = a.getBundleId();

        updateWith("/a2.jar", TestArtifacts.bundle("test.a", "2.0.0"));
        assertEquals(new Version(2, 0, 0), a.getVersion());
        assertEquals(id, fixture.bundle("test.a").getBundleId(), "updated in place, not installed beside");
        assertEquals("2.0.0", versionResource(a));
        assertEquals(Bundle.ACTIVE, a.getState());
        assertTrue(Files.exists(fixture.state("previous/test.a-1.0.0.jar")));
        assertTrue(fixture.manager.describe().contains("test.a 1.0.0 -> 2.0.0"));

        assertTrue(fixture.manager.rollbackLast().contains("test.a 2.0.0 -> 1.0.0"));
        assertEquals(new Version(1, 0, 0), a.getVersion());
        assertEquals("1.0.0", versionResource(a), "the rebuilt previous jar keeps the bundle's entries");
        assertEquals(Bundle.ACTIVE, a.getState());
        assertTrue(Files.readString(fixture.state(UpdateHistory.HISTORY)).isBlank());
        assertTrue(!Files.readString(fixture.state(UpdateHistory.INSTALLED)).contains("test.a"));
        assertThrows(CommandException.class, fixture.manager::rollbackLast, "nothing left to roll back");
    }

    @Test
    void recordedUpdatesArePutBackAfterARestartFromTheFeatures() throws Exception {
        fixture.install(TestArtifacts.bundle("test.a", "1.0.0"), "feature:test.a");
        fixture.install(TestArtifacts.bundle("test.newer", "3.0.0"), "feature:test.newer");
        updateWith("/a2.jar", TestArtifacts.bundle("test.a", "2.0.0"));
        updateWith("/b.jar", TestArtifacts.bundle("test.b", "1.0.0"));
        updateWith("/n.jar", TestArtifacts.bundle("test.newer", "3.1.0"));
        fixture.close();

        // a restart: a fresh framework cache, the features' versions installed again, the same guest root
        fixture = new UpdateFixture(scratch, 1024 * 1024);
        Bundle a = fixture.install(TestArtifacts.bundle("test.a", "1.0.0"), "feature:test.a");
        Bundle newer = fixture.install(TestArtifacts.bundle("test.newer", "4.0.0"), "feature:test.newer");
        fixture.manager.reapplyRecorded();
        assertTrue(UpdateFixture.eventually(() -> a.getVersion().equals(new Version(2, 0, 0)) && a.getState() == Bundle.ACTIVE));
        assertTrue(UpdateFixture.eventually(() -> fixture.bundle("test.b") != null && fixture.bundle("test.b").getState() == Bundle.ACTIVE));
        assertEquals(new Version(4, 0, 0), newer.getVersion(), "a newer installed version is kept");
    }

    @Test
    void rollbackOfANewBundleUninstallsIt() throws Exception {
        updateWith("/b.jar", TestArtifacts.bundle("test.b", "1.0.0"));
        fixture.manager.rollbackLast();
        assertNull(fixture.bundle("test.b"));
    }

    @Test
    void archiveIsAppliedAsOneUnit() throws Exception {
        fixture.install(TestArtifacts.bundle("test.a", "1.0.0"), "feature:test.a");
        Map<String, byte[]> jars = new LinkedHashMap<>();
        jars.put("a.jar", TestArtifacts.bundle("test.a", "1.1.0"));
        jars.put("c.jar", TestArtifacts.bundle("test.c", "1.1.0", "Import-Package", "org.osgi.framework"));
        updateWith("/update.zip", TestArtifacts.archive(jars));
        assertEquals(new Version(1, 1, 0), fixture.bundle("test.a").getVersion());
        assertEquals(Bundle.ACTIVE, fixture.bundle("test.c").getState());
        assertTrue(fixture.tempIsEmpty());
    }

    @Test
    void archiveWithOneBrokenBundleIsRolledBackCompletely() throws Exception {
        Bundle a = fixture.install(TestArtifacts.bundle("test.a", "1.0.0"), "feature:test.a");
        Bundle c = fixture.install(TestArtifacts.bundle("test.c", "1.0.0"), "feature:test.c");
        int before = fixture.bundleCount();
        Map<String, byte[]> jars = new LinkedHashMap<>();
        jars.put("a.jar", TestArtifacts.bundle("test.a", "2.0.0"));
        jars.put("n.jar", TestArtifacts.bundle("test.new", "1.0.0"));
        jars.put("c.jar", TestArtifacts.bundle("test.c", "2.0.0", "Import-Package", "does.not.exist"));
        byte[] zip = TestArtifacts.archive(jars);

        CommandException e = assertThrows(CommandException.class, () -> updateWith("/update.zip", zip));
        assertEquals(org.guestagent.api.command.CommandResult.Status.FAILED, e.status());
        assertTrue(e.getMessage().contains("test.c 2.0.0"), e.getMessage());
        assertEquals(new Version(1, 0, 0), a.getVersion());
        assertEquals(new Version(1, 0, 0), c.getVersion());
        assertEquals(Bundle.ACTIVE, a.getState());
        assertEquals(Bundle.ACTIVE, c.getState());
        assertNull(fixture.bundle("test.new"));
        assertEquals(before, fixture.bundleCount());
        assertTrue(!Files.exists(fixture.state(UpdateHistory.HISTORY)));
        assertTrue(fixture.tempIsEmpty());
    }

    @Test
    void updateOfADeferredBundleIsAppliedAfterTheAnswer() throws Exception {
        Bundle d = fixture.install(TestArtifacts.bundle("test.deferred.core", "1.0.0"), "feature:test.deferred.core");
        assertEquals("", updateWith("/d.jar", TestArtifacts.bundle("test.deferred.core", "1.5.0")));
        assertTrue(UpdateFixture.eventually(() -> d.getVersion().equals(new Version(1, 5, 0)) && d.getState() == Bundle.ACTIVE));
        assertTrue(UpdateFixture.eventually(() -> Files.exists(fixture.state("bundles/test.deferred.core-1.5.0.jar"))));
        assertTrue(UpdateFixture.eventually(() -> {
            try {
                return fixture.tempIsEmpty();
            } catch (java.io.IOException e) {
                return false;
            }
        }));
    }

    @Test
    void dependentsOfADeferredBundleAreDeferredToo() throws Exception {
        fixture.install(TestArtifacts.bundle("test.deferred.core", "1.0.0", "Export-Package", "test.api"), "feature:core");
        Bundle user = fixture.install(TestArtifacts.bundle("test.user", "1.0.0", "Import-Package", "test.api"), "feature:user");
        // test.user is not deferred itself, but updating the bundle it imports from would refresh it
        assertEquals("", updateWith("/core.jar", TestArtifacts.bundle("test.deferred.core", "1.1.0", "Export-Package", "test.api")));
        assertTrue(UpdateFixture.eventually(() -> fixture.bundle("test.deferred.core").getVersion().equals(new Version(1, 1, 0))));
        assertTrue(UpdateFixture.eventually(() -> user.getState() == Bundle.ACTIVE));
    }

    @Test
    void installerTarballRunsAfterTheAnswer() throws Exception {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("installer.sh", "#!/bin/sh\necho installing\n".getBytes());
        files.put("lib/agent.py", "print('x')\n".getBytes());
        assertEquals("", updateWith("/agent.tgz", TestArtifacts.tarGz(files)));
        assertTrue(UpdateFixture.eventually(() -> !fixture.actions.commands.isEmpty()));
        List<String> command = fixture.actions.commands.get(0);
        assertEquals("/bin/sh", command.get(0));
        assertTrue(command.get(command.size() - 1).startsWith(fixture.temp.toString()), command.toString());
        assertEquals("rwx------", fixture.actions.folderMode, "the download folder is private");
        assertTrue(UpdateFixture.eventually(() -> {
            try {
                return fixture.tempIsEmpty();
            } catch (java.io.IOException e) {
                return false;
            }
        }));
    }

    @Test
    void tarballWithoutInstallerIsRefused() throws Exception {
        byte[] tgz = TestArtifacts.tarGz(Map.of("sub/installer.sh", "echo\n".getBytes()));
        CommandException e = assertThrows(CommandException.class, () -> updateWith("/agent.tgz", tgz));
        assertTrue(e.getMessage().contains("installer.sh"), e.getMessage());
        assertTrue(fixture.tempIsEmpty());
    }
}
