package org.guestagent.itests.update;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.guestagent.itests.robustness.AgentRun;
import org.guestagent.itests.robustness.HostSide;
import org.guestagent.itests.support.AgentBundles;
import org.guestagent.itests.support.Json;
import org.guestagent.testsupport.FakeRhsm;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * kmsactivate in the running distribution (inside Felix, with the D-Bus library embedded in its
 * bundle) hands the activation key to RHSM over D-Bus: a private dbus-daemon plays the system
 * bus below the agent's root, the stand-in RHSM that commands-kms's tests use too (test-support's FakeRhsm) sits
 * on it. The key reaches RHSM, no command is run, and the key is in no log line.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class KmsActivateDistributionTest {
    private static final Duration LIMIT = Duration.ofSeconds(60);
    private static final String KEY = "ak-in-dbus-0815";

    private FakeRhsm rhsm;
    private HostSide host;
    private AgentRun agent;

    @AfterEach
    void stop() throws Exception {
        if (agent != null) {
            agent.close();
        }
        if (host != null) {
            host.close();
        }
        if (rhsm != null) {
            rhsm.close();
        }
    }

    @Test
    void theActivationKeyGoesToRhsmOverDbusInTheContainer() throws Exception {
        assumeTrue(FakeRhsm.available(), "needs dbus-daemon and python3-dbus, python3-gi");
        Path scratch = AgentBundles.scratch("kms-dist");
        host = HostSide.start(scratch, false);
        agent = AgentRun.copyInto(scratch);
        Path root = agent.root();
        Files.createDirectories(root.resolve("etc"));
        Files.writeString(root.resolve("etc/os-release"), "NAME=\"Red Hat Enterprise Linux\"\nID=\"rhel\"\n");
        Path tool = Files.createDirectories(root.resolve("usr/sbin")).resolve("subscription-manager");
        Files.writeString(tool, "#!/bin/sh\nexit 0\n");
        Files.setPosixFilePermissions(tool, PosixFilePermissions.fromString("rwxr-xr-x"));
        rhsm = FakeRhsm.start(root, scratch);

        agent.start(host.guestSocket());
        String answer = host.call(Json.request("kmsactivate", "{\"activation_key\": \"" + KEY + "\", \"org\": \"acme\"}"), LIMIT);
        assertEquals(Json.answer("0", ""), answer, agent.diagnostics());

        List<String> registrations = rhsm.registrations();
        assertEquals(1, registrations.size(), registrations.toString());
        assertTrue(registrations.get(0).contains("\"org\": \"acme\", \"keys\": [\"" + KEY + "\"]"), registrations.toString());
        String log = Files.readString(agent.logFile());
        assertTrue(log.contains("system registered through RHSM's D-Bus API for organisation acme"), agent.diagnostics());
        assertFalse(log.contains(KEY), "the key is in no log line");
        Path actions = root.resolve("var/lib/guest-agent/actions.log");
        assertFalse(Files.exists(actions) && Files.readString(actions).contains("subscription-manager"), "no command line was used");
    }
}
