package org.guestagent.packaging;

import static org.guestagent.packaging.Commands.deb;
import static org.guestagent.packaging.Commands.onPath;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The installed package under a booted systemd: the Debian root of {@link DebianRoot} with the
 * .deb installed, booted with systemd-nspawn; the unit must reach active (running), which for a
 * Type=notify unit means the agent sent READY=1. A container has no Xen or virtio channel, so a
 * drop-in lifts the unit's host-channel conditions and the agent runs with the XenStore simulator.
 * Skips, saying why, where systemd-nspawn cannot run (e.g. inside a container without systemd).
 */
class SystemdBootSystemTest {
    /** The whole boot, the agent's start and the power-off. */
    private static final long LIMIT_SECONDS = 300;
    private Path root;

    @AfterEach
    void cleanUp() throws Exception {
        DebianRoot.remove(root);
    }

    @Test
    void unitReachesActiveRunningThroughReady() throws Exception {
        assumeTrue(onPath("systemd-nspawn"), "systemd-nspawn is missing (Debian package systemd-container)");
        root = DebianRoot.make();
        // --register=no --keep-unit: also where no systemd runs on the host (no machined, no system bus)
        List<String> nspawn = List.of("systemd-nspawn", "--quiet", "--register=no", "--keep-unit", "-D", root.toString());
        Commands.Result probe = Commands.run(concat(nspawn, "/bin/true"), 120);
        assumeTrue(probe.code() == 0, "systemd-nspawn cannot run here, so the unit's READY=1 under a booted systemd is not"
                + " checked (SystemdNotifyTest checks READY=1, WATCHDOG=1 and STOPPING=1 against a test socket): " + probe.out().strip());

        Files.copy(deb(), root.resolve("tmp").resolve(deb().getFileName()));
        DebianRoot.chroot(root, "cd /tmp && apt-get install -y ./" + deb().getFileName());
        Files.delete(root.resolve("usr/sbin/policy-rc.d"));
        Path dropIn = Files.createDirectories(root.resolve("etc/systemd/system/guest-agent.service.d"));
        Files.writeString(dropIn.resolve("test.conf"), "[Unit]\nConditionPathExists=\n[Service]\n"
                + "ExecStart=\nExecStart=/usr/share/guest-agent/bin/guest-agent --foreground --features guest-agent-core,guest-agent-xen,guest-agent-dev,guest-agent-shell\n");
        // inside: once the agent's start job is done (READY=1, or a failure), write its state and power off
        Files.writeString(root.resolve("etc/systemd/system/report.service"), """
                [Unit]
                After=guest-agent.service
                [Service]
                Type=oneshot
                ExecStart=/bin/sh -c 'systemctl show guest-agent.service -p ActiveState,SubState,StatusText,Result > /report; journalctl -b -u guest-agent.service --no-pager > /report.journal; systemctl --no-block poweroff'
                [Install]
                WantedBy=multi-user.target
                """);
        Files.createSymbolicLink(root.resolve("etc/systemd/system/multi-user.target.wants/report.service"),
                Path.of("/etc/systemd/system/report.service"));

        Commands.Result boot = Commands.run(concat(nspawn, "-b"), LIMIT_SECONDS);
        Path report = root.resolve("report");
        assertTrue(Files.isRegularFile(report), "the booted system wrote no report; console:\n" + DebianRoot.tail(boot.out()));
        String state = Files.readString(report);
        System.out.println("guest-agent.service in the booted root: " + state.replace('\n', ' '));
        String journal = Files.exists(root.resolve("report.journal")) ? Files.readString(root.resolve("report.journal")) : "";
        assertTrue(state.contains("ActiveState=active") && state.contains("SubState=running"),
                "guest-agent.service is active (running): " + state + "\n" + DebianRoot.tail(journal));
        assertTrue(state.contains("StatusText=Serving nova-json on xenstore:"), "STATUS= says what is served: " + state);
        assertTrue(journal.contains("Told systemd the agent is ready"), "the agent logged its READY=1 to the journal:\n" + DebianRoot.tail(journal));
        assertTrue(Files.notExists(root.resolve("var/log/guest-agent.log")), "under systemd the journal has the log, no file");
    }

    private static List<String> concat(List<String> list, String... more) {
        List<String> all = new java.util.ArrayList<>(list);
        all.addAll(List.of(more));
        return all;
    }
}
