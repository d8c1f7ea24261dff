package org.guestagent.commands.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.guestagent.api.command.CommandException;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Each bad input of issue 6 (and a few more) is a 500 naming the problem, with no file changed. */
class BadInputTest {

    private static final String GOOD_ETH1 = "{\"mac\": \"de:ad:be:ef:00:02\", \"ips\": [{\"ip\": \"198.51.100.5\","
            + " \"netmask\": \"255.255.255.0\", \"enabled\": \"1\", \"gateway\": \"198.51.100.1\"}]}";

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
        unknown MAC         | {"mac": "de:ad:be:ef:99:99", "ips": [{"ip": "192.0.2.42", "netmask": "255.255.255.0", "enabled": "1"}]} | no network interface of this guest has MAC de:ad:be:ef:99:99
        missing MAC         | {"label": "public", "ips": [{"ip": "192.0.2.42", "netmask": "255.255.255.0", "enabled": "1"}]} | vm-data/networking/deadbeef0001 has no 'mac' key
        no enabled IP       | {"mac": "de:ad:be:ef:00:01", "ips": [{"ip": "192.0.2.42", "netmask": "255.255.255.0", "enabled": "0"}]} | (eth0) has no enabled address in 'ips' or 'ip6s'
        no IPs at all       | {"mac": "de:ad:be:ef:00:01"} | (eth0) has no enabled address in 'ips' or 'ip6s'
        not a netmask       | {"mac": "de:ad:be:ef:00:01", "ips": [{"ip": "192.0.2.42", "netmask": "255.0.255.0", "enabled": "1"}]} | (eth0): 'netmask' 255.0.255.0 of ips[0] is not a valid netmask
        netmask garbage     | {"mac": "de:ad:be:ef:00:01", "ips": [{"ip": "192.0.2.42", "netmask": "fish", "enabled": "1"}]} | (eth0): 'netmask' fish of ips[0] is not a valid netmask
        IPv6 prefix 129     | {"mac": "de:ad:be:ef:00:01", "ip6s": [{"ip": "2001:db8::42", "netmask": 129, "enabled": "1"}]} | (eth0): 'netmask' 129 of ip6s[0] is not an IPv6 prefix length (0 to 128)
        IPv6 prefix -1      | {"mac": "de:ad:be:ef:00:01", "ip6s": [{"ip": "2001:db8::42", "netmask": -1, "enabled": "1"}]} | (eth0): 'netmask' -1 of ip6s[0] is not an IPv6 prefix length (0 to 128)
        missing ip key      | {"mac": "de:ad:be:ef:00:01", "ips": [{"netmask": "255.255.255.0", "enabled": "1"}]} | (eth0): ips[0] has no 'ip' key
        missing netmask key | {"mac": "de:ad:be:ef:00:01", "ips": [{"ip": "192.0.2.42", "enabled": "1"}]} | (eth0): ips[0] has no 'netmask' key
        missing route key   | {"mac": "de:ad:be:ef:00:01", "ips": [{"ip": "192.0.2.42", "netmask": "255.255.255.0"}], "routes": [{"netmask": "255.0.0.0", "gateway": "192.0.2.254"}]} | (eth0): routes[0] has no 'route' key
        missing route gw    | {"mac": "de:ad:be:ef:00:01", "ips": [{"ip": "192.0.2.42", "netmask": "255.255.255.0"}], "routes": [{"route": "10.0.0.0", "netmask": "255.0.0.0"}]} | (eth0): routes[0] has no 'gateway' key
        route host bits     | {"mac": "de:ad:be:ef:00:01", "ips": [{"ip": "192.0.2.42", "netmask": "255.255.255.0"}], "routes": [{"route": "10.0.0.1", "netmask": "255.0.0.0", "gateway": "192.0.2.254"}]} | (eth0): 'route' 10.0.0.1 of routes[0] has host bits set beyond its netmask
        bad IPv4            | {"mac": "de:ad:be:ef:00:01", "ips": [{"ip": "192.0.2.420", "netmask": "255.255.255.0", "enabled": "1"}]} | (eth0): 'ip' 192.0.2.420 of ips[0] is not an IPv4 address
        bad IPv6            | {"mac": "de:ad:be:ef:00:01", "ip6s": [{"ip": "2001:db8::g", "netmask": 64, "enabled": "1"}]} | (eth0): 'ip' 2001:db8::g of ip6s[0] is not an IPv6 address
        bad enabled         | {"mac": "de:ad:be:ef:00:01", "ips": [{"ip": "192.0.2.42", "netmask": "255.255.255.0", "enabled": "yes"}]} | (eth0): 'enabled' "yes" of ips[0] is neither 0 nor 1
        non-JSON node       | this is not json | Network data vm-data/networking/deadbeef0001 is not a JSON object
        JSON but a list     | [1, 2] | Network data vm-data/networking/deadbeef0001 is not a JSON object
        two gateways on one | {"mac": "de:ad:be:ef:00:01", "ips": [{"ip": "192.0.2.42", "netmask": "255.255.255.0", "gateway": "192.0.2.1"}], "gateway": "192.0.2.254"} | (eth0) names more than one default gateway: 192.0.2.254 and 192.0.2.1
        """)
    void badNodeIsRejectedAndNothingChanges(String what, String node, String expected, @TempDir Path root) throws IOException {
        TestGuest guest = guest(root).interfaceNode("deadbeef0001", node);
        assertRejected(guest, expected);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
        two IPv4 default gateways | {"mac": "de:ad:be:ef:00:01", "ips": [{"ip": "192.0.2.42", "netmask": "255.255.255.0", "enabled": "1", "gateway": "192.0.2.1"}]} | More than one IPv4 default gateway: 192.0.2.1 (eth0) and 198.51.100.1 (eth1)
        """)
    void twoDefaultGatewaysAcrossInterfaces(String what, String node, String expected, @TempDir Path root) throws IOException {
        TestGuest guest = guest(root).interfaceNode("deadbeef0001", node).interfaceNode("deadbeef0002", GOOD_ETH1);
        assertRejected(guest, expected);
    }

    @org.junit.jupiter.api.Test
    void twoIpv6DefaultGateways(@TempDir Path root) throws IOException {
        TestGuest guest = guest(root)
                .interfaceNode("deadbeef0001", "{\"mac\": \"de:ad:be:ef:00:01\", \"ip6s\": [{\"ip\": \"2001:db8::42\", \"netmask\": 64, \"gateway\": \"2001:db8::1\"}]}")
                .interfaceNode("deadbeef0002", "{\"mac\": \"de:ad:be:ef:00:02\", \"ip6s\": [{\"ip\": \"2001:db8:1::42\", \"netmask\": 64, \"gateway\": \"2001:db8:1::1\"}]}");
        assertRejected(guest, "More than one IPv6 default gateway: 2001:db8::1 (eth0) and 2001:db8:1::1 (eth1)");
    }

    @org.junit.jupiter.api.Test
    void noNetworkDataAtAll(@TempDir Path root) throws IOException {
        assertRejected(guest(root), "There is no network data in vm-data/networking");
    }

    @org.junit.jupiter.api.Test
    void badHostname(@TempDir Path root) throws IOException {
        TestGuest guest = guest(root).hostname("bad_host name;rm").interfaceNode("deadbeef0002", GOOD_ETH1);
        assertRejected(guest, "The hostname 'bad_host name;rm' in vm-data/hostname is not a valid hostname");
    }

    @org.junit.jupiter.api.Test
    void unknownOsIsCouldntFigureOutMyOs(@TempDir Path root) throws IOException {
        TestGuest guest = guest(root).os("ID=plan9\n").interfaceNode("deadbeef0002", GOOD_ETH1);
        CommandException e = assertRejected(guest, "Couldn't figure out my OS");
        assertEquals("Couldn't figure out my OS", e.getMessage());
        assertEquals(org.guestagent.api.command.CommandResult.Status.FAILED, e.status());
    }

    @org.junit.jupiter.api.Test
    void noOsReleaseIsCouldntFigureOutMyOs(@TempDir Path root) throws IOException {
        TestGuest guest = new TestGuest(root).nic("eth1", "de:ad:be:ef:00:02").interfaceNode("deadbeef0002", GOOD_ETH1);
        assertEquals("Couldn't figure out my OS", assertRejected(guest, "Couldn't figure out my OS").getMessage());
    }

    private static TestGuest guest(Path root) throws IOException {
        return new TestGuest(root).os("ID=debian\nVERSION_ID=12\n").nic("eth0", "de:ad:be:ef:00:01").nic("eth1", "DE:AD:BE:EF:00:02")
                .file("/etc/hosts", GoldenFilesTest.HOSTS).file("/etc/resolv.conf", GoldenFilesTest.RESOLV)
                .file("/etc/network/interfaces", "auto lo\niface lo inet loopback\n").hostname("web01");
    }

    private static CommandException assertRejected(TestGuest guest, String expected) throws IOException {
        Map<String, String> before = guest.tree();
        CommandException e = assertThrows(CommandException.class, guest::resetNetwork);
        assertEquals(org.guestagent.api.command.CommandResult.Status.FAILED, e.status());
        assertTrue(e.getMessage().contains(expected), "message: " + e.getMessage());
        assertEquals(before, guest.tree(), "no file may change");
        assertEquals(List.of(), guest.actions.recorded(), "no action may be taken");
        return e;
    }
}
