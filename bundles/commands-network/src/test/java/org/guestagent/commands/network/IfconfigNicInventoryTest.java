package org.guestagent.commands.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.guestagent.api.command.CommandException;
import org.guestagent.ops.facts.system.SystemGuestFacts;
import org.guestagent.ops.facts.system.IfconfigNics;
import org.guestagent.api.system.SystemActions;
import org.guestagent.system.RecordingSystemActions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** NICs of a guest without sysfs (FreeBSD), from {@code ifconfig -a}, and resetnetwork on such a guest. */
class IfconfigNicInventoryTest {

    static String freeBsdSample() throws IOException {
        try (InputStream in = IfconfigNicInventoryTest.class.getResourceAsStream("/network/ifconfig/freebsd-xen.txt")) {
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    @Test
    void freeBsdOutputGivesEveryEthernetNicButNotLoopbackOrPflog() throws IOException {
        assertEquals(Map.of("de:ad:be:ef:00:02", "xn0", "de:ad:be:ef:00:01", "xn1"),
                IfconfigNics.parse(freeBsdSample()));
    }

    @Test
    void macsAreNormalisedAndLoopbackOrZeroAddressesSkipped() {
        String output = "vtnet0: flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> metric 0 mtu 1500\n"
                + "\toptions=4c079b<RXCSUM,TXCSUM,VLAN_MTU>\n\tether 52:54:00:AB:CD:EF\n\tstatus: active\n"
                + "vtnet1: flags=8802<BROADCAST,SIMPLEX,MULTICAST> metric 0 mtu 1500\n\tether 52:54:00:12:34:56\n"
                + "lo0: flags=8049<UP,LOOPBACK,RUNNING,MULTICAST> metric 0 mtu 16384\n\tether 52:54:00:99:99:99\n"
                + "gif0: flags=8010<POINTOPOINT,MULTICAST> metric 0 mtu 1280\n\tether 00:00:00:00:00:00\n"
                + "vlan100: flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> metric 0 mtu 1500\n"
                + "\tether 52:54:00:ab:cd:ef\n\tvlan: 100 vlanproto: 802.1q vlanpcp: 0 parent interface: vtnet0\n"
                + "stf0: flags=0<> metric 0 mtu 1280\n\tgroups: stf\n";
        assertEquals(Map.of("52:54:00:ab:cd:ef", "vtnet0", "52:54:00:12:34:56", "vtnet1"), IfconfigNics.parse(output));
        assertEquals(Map.of(), IfconfigNics.parse(""));
    }

    @Test
    void failingIfconfigIsAnErrorNamingIt() {
        SystemActions failing = new RecordingSystemActions(null) {
            @Override
            public ExecResult run(List<String> command, byte[] input, Duration timeout) {
                return new ExecResult(1, "", "ifconfig: interface -a does not exist\n");
            }
        };
        IOException e = assertThrows(IOException.class, () -> new IfconfigNics(failing).byMac());
        assertEquals("'ifconfig -a' exited with 1: ifconfig: interface -a does not exist", e.getMessage());
    }

    @Test
    void sysfsIsUsedWhereItExistsWithoutRunningIfconfig(@TempDir Path root) throws IOException {
        TestGuest guest = new TestGuest(root).nic("eth0", "de:ad:be:ef:00:01").ifconfig(freeBsdSample());
        assertEquals(Map.of("de:ad:be:ef:00:01", "eth0"), new SystemGuestFacts(guest.files, guest.actions).nicsByMac());
        assertEquals(List.of(), guest.actions.recorded());
    }

    @Test
    void freeBsdGuestWithoutSysfsGetsRcConfForTheNicWithTheMatchingMac(@TempDir Path root) throws IOException {
        TestGuest guest = Scenario.applyHostData("two-nics", new TestGuest(root).os("ID=freebsd\nVERSION_ID=14.1\n")
                .file("/etc/hosts", GoldenFilesTest.HOSTS).file("/etc/resolv.conf", GoldenFilesTest.RESOLV)
                .ifconfig(freeBsdSample()));
        assertEquals("", guest.resetNetwork());

        // de:ad:be:ef:00:01 (public, gateway) is xn1 and de:ad:be:ef:00:02 (private, routes) is xn0 in the sample
        assertEquals("# Automatically generated, do not edit\nhostname=\"web01\"\n"
                + "ifconfig_xn0=\"inet 10.176.1.5 netmask 255.255.224.0\"\n"
                + "route_agent0=\"-net 10.176.0.0/12 10.176.0.1\"\nroute_agent1=\"-net 10.191.192.0/18 10.176.0.1\"\n"
                + "ifconfig_xn1=\"inet 192.0.2.42 netmask 255.255.255.0\"\n"
                + "ifconfig_xn1_ipv6=\"inet6 2001:db8::42 prefixlen 64\"\n"
                + "defaultrouter=\"192.0.2.1\"\nipv6_defaultrouter=\"2001:db8::1\"\n"
                + "static_routes=\"agent0 agent1\"\n", guest.read("/etc/rc.conf"));
        assertEquals(List.of("run ifconfig -a", "sethostname web01", "run service netif restart", "run service routing restart"),
                guest.actions.recorded());
    }

    @Test
    void freeBsdGuestWhoseNicsDoNotCarryTheMacIsA500NamingIt(@TempDir Path root) throws IOException {
        TestGuest guest = Scenario.applyHostData("ipv4", new TestGuest(root).os("ID=freebsd\n")
                .ifconfig(freeBsdSample().replace("de:ad:be:ef:00:01", "de:ad:be:ef:00:09")));
        CommandException e = assertThrows(CommandException.class, guest::resetNetwork);
        assertTrue(e.getMessage().contains("no network interface of this guest has MAC de:ad:be:ef:00:01"), e.getMessage());
        assertEquals(Map.of("/etc/os-release", "ID=freebsd\n"), guest.tree());
    }
}
