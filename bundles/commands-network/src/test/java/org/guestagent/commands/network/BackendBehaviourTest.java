package org.guestagent.commands.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.guestagent.api.command.CommandException;
import org.guestagent.ops.network.apply.GuestNetworkConfigurator;
import org.guestagent.ops.network.apply.BackendChooser;
import org.guestagent.ops.facts.system.SystemGuestFacts;
import org.guestagent.ops.facts.system.SysfsNics;
import org.guestagent.api.system.GuestFiles;
import org.guestagent.ops.network.backends.AllBackends;
import org.guestagent.commands.network.spi.NetworkBackend;
import org.guestagent.commands.network.spi.NetworkConfig;
import org.guestagent.commands.network.spi.NetworkPlan;
import org.guestagent.commands.network.spi.OsRelease;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the backends keep, remove and back up on a guest that has history; selection rules. */
class BackendBehaviourTest {

    @TempDir
    Path root;

    private TestGuest centos7() throws IOException {
        return Scenario.apply("ipv4", new TestGuest(root).os("ID=centos\nID_LIKE=\"rhel fedora\"\nVERSION_ID=7\n"));
    }

    @Test
    void redHatKeepsKeysItDoesNotOwn() throws IOException {
        TestGuest guest = centos7().file("/etc/sysconfig/network-scripts/ifcfg-eth0",
                "# written by the installer\nDEVICE=eth0\nBOOTPROTO=dhcp\nZONE=public\nMTU=9000\nIPADDR=10.9.9.9\n");
        guest.resetNetwork();
        String ifcfg = guest.read("/etc/sysconfig/network-scripts/ifcfg-eth0");
        assertTrue(ifcfg.endsWith("\n# Kept from the previous file\nZONE=public\nMTU=9000\n"), ifcfg);
        assertFalse(ifcfg.contains("dhcp") || ifcfg.contains("10.9.9.9") || ifcfg.contains("installer"), ifcfg);
    }

    @Test
    void staleFilesOfVanishedNicsAreRemovedWithBackup() throws IOException {
        TestGuest guest = centos7().file("/etc/hosts", GoldenFilesTest.HOSTS)
                .file("/etc/sysconfig/network-scripts/ifcfg-eth1", "DEVICE=eth1\nHWADDR=de:ad:be:ef:00:09\nBOOTPROTO=dhcp\n")
                .file("/etc/sysconfig/network-scripts/route-eth1", "ADDRESS0=10.0.0.0\n")
                .file("/etc/sysconfig/network-scripts/ifcfg-lo", "DEVICE=lo\nIPADDR=127.0.0.1\n")
                .file("/etc/sysconfig/network-scripts/ifcfg-br0", "DEVICE=br0\nTYPE=Bridge\n");
        guest.resetNetwork();
        Map<String, String> tree = guest.tree();
        assertFalse(tree.containsKey("/etc/sysconfig/network-scripts/ifcfg-eth1"));
        assertFalse(tree.containsKey("/etc/sysconfig/network-scripts/route-eth1"));
        assertTrue(tree.containsKey("/etc/sysconfig/network-scripts/ifcfg-lo"), "loopback stays");
        assertTrue(tree.containsKey("/etc/sysconfig/network-scripts/ifcfg-br0"), "a file naming no MAC is not ours to judge");
        assertEquals(1, backupsOf(tree, "/etc/sysconfig/network-scripts/ifcfg-eth1").size());
        assertEquals("DEVICE=eth1\nHWADDR=de:ad:be:ef:00:09\nBOOTPROTO=dhcp\n",
                tree.get(backupsOf(tree, "/etc/sysconfig/network-scripts/ifcfg-eth1").get(0)));
        assertEquals(1, backupsOf(tree, "/etc/hosts").size(), "a replaced file is kept too");
    }

    @Test
    void ownFilesOfUnconfiguredInterfacesGoButForeignOnesOfPresentNicsStay() throws IOException {
        TestGuest guest = Scenario.apply("ipv4", new TestGuest(root).os("ID=flatcar\n"))
                .file("/usr/lib/systemd/systemd-networkd", "").nic("eth1", "de:ad:be:ef:00:02")
                .file("/etc/systemd/network/05-guest-agent-eth2.network", "# Automatically generated, do not edit\n[Match]\n")
                .file("/etc/systemd/network/10-eth1.network", "[Match]\nMACAddress=de:ad:be:ef:00:02\n");
        guest.resetNetwork();
        Map<String, String> tree = guest.tree();
        assertFalse(tree.containsKey("/etc/systemd/network/05-guest-agent-eth2.network"));
        assertTrue(tree.containsKey("/etc/systemd/network/10-eth1.network"));
        assertTrue(tree.containsKey("/etc/systemd/network/05-guest-agent-eth0.network"));
    }

    @Test
    void keyfilesAndNetplanAreOwnerOnly() throws IOException {
        TestGuest guest = Scenario.apply("ipv4", new TestGuest(root).os("ID=rhel\nVERSION_ID=9.2\n"))
                .file("/etc/sysconfig/network-scripts/ifcfg-eth0", "DEVICE=eth0\n");
        guest.resetNetwork();
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(
                root.resolve("etc/NetworkManager/system-connections/eth0.nmconnection"))));
        assertFalse(Files.exists(root.resolve("etc/sysconfig/network-scripts/ifcfg-eth0")), "a second profile for eth0 would compete");
    }

    @Test
    void secondRunWithSameDataChangesNothing() throws IOException {
        TestGuest guest = Scenario.apply("two-nics", new TestGuest(root).os("ID=ubuntu\nVERSION_ID=\"24.04\"\n"));
        guest.resetNetwork();
        Map<String, String> first = guest.tree();
        guest.resetNetwork();
        assertEquals(first, guest.tree(), "unchanged files are not rewritten nor backed up");
    }

    @Test
    void resolvconfAndSystemdResolvedAreRespected() throws IOException {
        TestGuest guest = Scenario.apply("ipv4", new TestGuest(root).os("ID=debian\nVERSION_ID=11\n"))
                .file("/etc/resolvconf/resolv.conf.d/head", "");
        guest.resetNetwork();
        assertEquals("nameserver 192.0.2.2\nnameserver 192.0.2.3\n", guest.read("/etc/resolvconf/resolv.conf.d/base"));
        assertTrue(guest.actions.recorded().contains("run resolvconf -u"));

        Path other = root.resolve("other");
        TestGuest resolved = Scenario.apply("ipv4", new TestGuest(Files.createDirectories(other)).os("ID=debian\n"));
        Files.createDirectories(other.resolve("run/systemd/resolve"));
        Files.writeString(other.resolve("run/systemd/resolve/stub-resolv.conf"), "nameserver 127.0.0.53\n");
        Files.createSymbolicLink(other.resolve("etc/resolv.conf"), Path.of("../run/systemd/resolve/stub-resolv.conf"));
        resolved.resetNetwork();
        assertTrue(Files.isSymbolicLink(other.resolve("etc/resolv.conf")), "systemd-resolved keeps its link");
        assertEquals("nameserver 127.0.0.53\n", resolved.read("/run/systemd/resolve/stub-resolv.conf"));
    }

    @Test
    void configOverrideBeatsDetectionAndUnknownNameIsClear() throws IOException {
        TestGuest guest = Scenario.apply("ipv4", new TestGuest(root).os("ID=debian\n"));
        guest.backend = "systemd-networkd";
        guest.resetNetwork();
        assertTrue(Files.exists(root.resolve("etc/systemd/network/05-guest-agent-eth0.network")));
        assertFalse(Files.exists(root.resolve("etc/network/interfaces")));
        guest.backend = "no-such";
        assertEquals("Couldn't figure out my OS", assertThrows(CommandException.class, guest::resetNetwork).getMessage());
    }

    @Test
    void vendorBackendWithHigherRankingWins() throws IOException {
        TestGuest guest = Scenario.apply("ipv4", new TestGuest(root).os("ID=debian\n"));
        NetworkBackend vendor = new NetworkBackend() {
            public String name() {
                return "vendor";
            }

            public int match(OsRelease os, GuestFiles files) {
                return FALLBACK;
            }

            public void plan(NetworkConfig config, OsRelease os, GuestFiles files, NetworkPlan plan) {
                plan.write("/etc/vendor-net", config.interfaces().get(0).name() + "\n").run("vendor-restart");
            }
        };
        GuestNetworkConfigurator network = guest.network(AllBackends.create());
        network.addBackend(vendor, Map.of("service.ranking", 10));
        new NetworkCommands(network).resetNetwork(guest.request());
        assertEquals("eth0\n", guest.read("/etc/vendor-net"));
        assertEquals(List.of("sethostname web01", "run vendor-restart"), guest.actions.recorded());
    }

    @Test
    void familyDetection() throws IOException {
        Map<String, String> expected = Map.of(
                "ID=ubuntu\nID_LIKE=debian\nVERSION_ID=\"16.04\"\n", "debian",
                "ID=ubuntu\nID_LIKE=debian\nVERSION_ID=\"18.04\"\n", "netplan",
                "ID=linuxmint\nID_LIKE=\"ubuntu debian\"\nVERSION_ID=21\n", "debian",
                "ID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"8.9\"\n", "redhat",
                "ID=\"almalinux\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"9.3\"\n", "networkmanager",
                "ID=fedora\nVERSION_ID=40\n", "networkmanager",
                "ID=\"sles\"\nID_LIKE=\"suse\"\nVERSION_ID=\"15.5\"\n", "suse");
        BackendChooser chooser = new BackendChooser();
        AllBackends.create().forEach(b -> chooser.add(b, Map.of()));
        GuestFiles files = new org.guestagent.system.LocalGuestFiles(root);
        expected.forEach((os, name) -> assertEquals(name, chooser.choose(OsRelease.parse(os), files, "").orElseThrow().name(), os));
    }

    @Test
    void failingRestartIsA500NamingTheCommand() throws IOException {
        TestGuest guest = Scenario.apply("ipv4", new TestGuest(root).os("ID=ubuntu\nVERSION_ID=22.04\n"));
        FailingActions failing = new FailingActions();
        GuestNetworkConfigurator network = new GuestNetworkConfigurator(guest.files, failing,
                new SystemGuestFacts(guest.files, failing), () -> new SysfsNics(guest.files).byMac(), TestGuest.config(""));
        AllBackends.create().forEach(b -> network.addBackend(b, Map.of()));
        NetworkCommands commands = new NetworkCommands(network);
        CommandException e = assertThrows(CommandException.class, () -> commands.resetNetwork(guest.request()));
        assertEquals("Couldn't restart networking: 'netplan apply' exited with 1: no netplan here", e.getMessage());
    }

    private static List<String> backupsOf(Map<String, String> tree, String guestPath) {
        try (Stream<String> paths = tree.keySet().stream()) {
            return paths.filter(p -> p.startsWith("/var/lib/guest-agent/backup/network/") && p.endsWith(guestPath)).toList();
        }
    }

    /** Real-looking actions whose every program fails. */
    private static final class FailingActions implements org.guestagent.api.system.SystemActions {
        public void setHostname(String hostname) {
        }

        public ExecResult run(List<String> command, byte[] input, java.time.Duration timeout) {
            return new ExecResult(1, "", "no netplan here\nmore");
        }

        public boolean isRecording() {
            return false;
        }

        public List<String> recorded() {
            return List.of();
        }
    }
}
