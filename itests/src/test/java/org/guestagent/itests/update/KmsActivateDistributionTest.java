package org.guestagent.itests.update;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.guestagent.itests.robustness.AgentRun;
import org.guestagent.itests.robustness.HostSide;
import org.guestagent.itests.support.AgentBundles;
import org.guestagent.itests.support.Json;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * kmsactivate in the running distribution (inside Felix, with the D-Bus library embedded in its
 * bundle) hands the activation key to RHSM over D-Bus: a private dbus-daemon plays the system
 * bus below the agent's root, the stand-in RHSM of commands-kms's tests (fake-rhsm.py) sits
 * on it. The key reaches RHSM, no command is run, and the key is in no log line.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class KmsActivateDistributionTest {
    private static final Duration LIMIT = Duration.ofSeconds(60);
    private static final String KEY = "ak-in-dbus-0815";
    private static final Path PYTHON = Path.of("/usr/bin/python3");
    private static final Path DAEMON = Path.of("/usr/bin/dbus-daemon");

    private final List<Process> processes = new ArrayList<>();
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
        for (Process p : processes) {
            p.destroy();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }

    @Test
    void theActivationKeyGoesToRhsmOverDbusInTheContainer() throws Exception {
        assumeTrue(Files.isExecutable(DAEMON) && pythonHasDbus(), "needs dbus-daemon and python3-dbus, python3-gi");
        Path scratch = AgentBundles.scratch("kms-dist");
        host = HostSide.start(scratch, false);
        agent = AgentRun.copyInto(scratch);
        Path root = agent.root();
        Files.createDirectories(root.resolve("etc"));
        Files.writeString(root.resolve("etc/os-release"), "NAME=\"Red Hat Enterprise Linux\"\nID=\"rhel\"\n");
        Path tool = Files.createDirectories(root.resolve("usr/sbin")).resolve("subscription-manager");
        Files.writeString(tool, "#!/bin/sh\nexit 0\n");
        Files.setPosixFilePermissions(tool, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path record = startFakeRhsm(root, scratch);

        agent.start(host.guestSocket());
        String answer = host.call(Json.request("kmsactivate", "{\"activation_key\": \"" + KEY + "\", \"org\": \"acme\"}"), LIMIT);
        assertEquals(Json.answer("0", ""), answer, agent.diagnostics());

        List<String> registrations = Files.readAllLines(record);
        assertEquals(1, registrations.size(), registrations.toString());
        assertTrue(registrations.get(0).contains("\"org\": \"acme\", \"keys\": [\"" + KEY + "\"]"), registrations.toString());
        String log = Files.readString(agent.logFile());
        assertTrue(log.contains("system registered through RHSM's D-Bus API for organisation acme"), agent.diagnostics());
        assertFalse(log.contains(KEY), "the key is in no log line");
        Path actions = root.resolve("var/lib/guest-agent/actions.log");
        assertFalse(Files.exists(actions) && Files.readString(actions).contains("subscription-manager"), "no command line was used");
    }

    private static boolean pythonHasDbus() throws Exception {
        if (!Files.isExecutable(PYTHON)) {
            return false;
        }
        Process p = new ProcessBuilder(PYTHON.toString(), "-c", "import dbus, dbus.server, gi").redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    }

    /** dbus-daemon on <root>/run/dbus/system_bus_socket with fake-rhsm.py on it; returns its record file. */
    private Path startFakeRhsm(Path root, Path scratch) throws Exception {
        Path socket = Files.createDirectories(root.resolve("run/dbus")).resolve("system_bus_socket");
        Path config = scratch.resolve("bus.conf");
        Files.writeString(config, """
                <!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
                 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
                <busconfig>
                  <listen>unix:path=%s</listen>
                  <auth>EXTERNAL</auth>
                  <policy context="default">
                    <allow user="*"/>
                    <allow own="*"/>
                    <allow send_destination="*"/>
                    <allow receive_sender="*"/>
                  </policy>
                </busconfig>
                """.formatted(socket));
        Process daemon = start(List.of(DAEMON.toString(), "--config-file=" + config, "--nofork", "--print-address"), scratch.resolve("dbus-daemon.err"));
        String address = firstLine(daemon);
        Path record = scratch.resolve("registrations.jsonl");
        Path script = AgentBundles.projectRoot().resolve("bundles/commands-kms/src/test/resources/fake-rhsm.py");
        Process rhsm = start(List.of(PYTHON.toString(), script.toString(), address,
                Files.createDirectories(scratch.resolve("rhsm-private")).toString(), record.toString()), scratch.resolve("fake-rhsm.err"));
        assertEquals("ready", firstLine(rhsm), () -> "fake-rhsm.py: " + readQuietly(scratch.resolve("fake-rhsm.err")));
        return record;
    }

    /** Starts a helper program; its standard error (warnings such as dbus-daemon's about file limits) goes to {@code errors}, not into the output the test reads. */
    private Process start(List<String> command, Path errors) throws IOException {
        Process p = new ProcessBuilder(command).redirectError(errors.toFile()).start();
        processes.add(p);
        return p;
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "(" + e + ")";
        }
    }

    private static String firstLine(Process p) throws Exception {
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> {
            try {
                return out.readLine();
            } catch (IOException e) {
                return null;
            }
        });
        String first = line.get(30, TimeUnit.SECONDS);
        return first == null ? "(no output; exit " + p.waitFor() + ")" : first.strip();
    }
}
