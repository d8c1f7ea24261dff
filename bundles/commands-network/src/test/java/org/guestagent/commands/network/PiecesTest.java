package org.guestagent.commands.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.guestagent.commands.network.spi.NetworkConfig;
import org.guestagent.ops.network.apply.CommonFiles;
import org.guestagent.ops.network.IpText;
import org.guestagent.ops.facts.system.SysfsNics;
import org.guestagent.commands.network.spi.OsRelease;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The small parts: address text, netmasks, os-release, hosts and resolv.conf merging, NIC discovery. */
class PiecesTest {

    @Test
    void netmasksBecomePrefixesOnlyWhenContiguous() {
        assertEquals(24, IpText.prefixOfNetmask("255.255.255.0"));
        assertEquals(0, IpText.prefixOfNetmask("0.0.0.0"));
        assertEquals(32, IpText.prefixOfNetmask("255.255.255.255"));
        assertEquals(19, IpText.prefixOfNetmask("255.255.224.0"));
        assertEquals(-1, IpText.prefixOfNetmask("255.0.255.0"));
        assertEquals(-1, IpText.prefixOfNetmask("255.255.255.1"));
        assertEquals(-1, IpText.prefixOfNetmask("256.0.0.0"));
    }

    @Test
    void ipv6IsCanonicalAndNeverLookedUp() {
        assertEquals("2001:db8::42", IpText.ipv6("2001:0DB8:0000:0000:0000:0000:0000:0042"));
        assertEquals("2001:db8:0:1::42", IpText.ipv6("2001:db8:0:1:0:0:0:42"));
        assertEquals("::", IpText.ipv6("::"));
        assertEquals("2001:db8::1:0:0:1", IpText.ipv6("2001:db8:0:0:1:0:0:1"));
        assertNull(IpText.ipv6("example.com"));
        assertNull(IpText.ipv6("fe80::1%eth0"));
        assertNull(IpText.ipv6("::ffff:192.0.2.1"), "an IPv4-mapped address is not an IPv6 interface address");
        assertEquals("192.0.2.1", IpText.ipv4("192.000.002.001"));
    }

    @Test
    void osReleaseFields() {
        OsRelease os = OsRelease.parse("NAME=\"Ubuntu\"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID=\"18.04\"\n");
        assertTrue(os.isLike("debian"));
        assertTrue(os.versionAtLeast(18, 4));
        assertFalse(os.versionAtLeast(20, 4));
        assertEquals(18, os.majorVersion());
        assertEquals(-1, OsRelease.parse("ID=arch\n").majorVersion());
    }

    @Test
    void hostsKeepsOtherLinesAndReplacesOurAddresses() {
        String before = "# comment\n127.0.0.1 localhost\n192.0.2.42 old-name\n10.0.0.9 db\n192.0.2.42 dup\n";
        assertEquals("# comment\n127.0.0.1 localhost\n192.0.2.42\tweb1.example.com web1\n10.0.0.9 db\n"
                + "2001:db8::42\tweb1.example.com web1\n",
                CommonFiles.hosts(before, "web1.example.com", List.of("192.0.2.42", "2001:db8::42")));
    }

    @Test
    void resolvConfKeepsSearchAndOptions() {
        assertEquals("search a.example\nnameserver 192.0.2.2\noptions ndots:2\n",
                CommonFiles.resolvConf("search a.example\nnameserver 10.0.0.1\nnameserver 10.0.0.2\noptions ndots:2\n",
                        List.of("192.0.2.2")));
        assertEquals("nameserver 192.0.2.2\n", CommonFiles.resolvConf(null, List.of("192.0.2.2")));
    }

    @Test
    void nicsComeFromSysfsBelowTheRoot(@TempDir Path root) throws IOException {
        TestGuest guest = new TestGuest(root).nic("eth0", "DE:AD:BE:EF:00:01").nic("eth1", "de:ad:be:ef:00:02")
                .file("/sys/class/net/lo/address", "00:00:00:00:00:00\n")
                .file("/sys/class/net/eth0.100/address", "de:ad:be:ef:00:01\n");
        assertEquals(Map.of("de:ad:be:ef:00:01", "eth0", "de:ad:be:ef:00:02", "eth1"), new SysfsNics(guest.files).byMac());
    }

    @Test
    void modelIsNormalised(@TempDir Path root) throws IOException {
        TestGuest guest = new TestGuest(root).nic("eth0", "de:ad:be:ef:00:01").hostname("web1.")
                .interfaceNode("deadbeef0001", "{\"mac\": \"DE-AD-BE-EF-00-01\", \"ips\": [{\"ip\": \"192.0.2.42\", \"netmask\": 24,"
                        + " \"enabled\": true}], \"ip6s\": [{\"ip\": \"2001:DB8:0::42\", \"netmask\": \"64\", \"enabled\": \"1\","
                        + " \"gateway\": \"\"}], \"dns\": [\"192.0.2.2\", \"192.0.2.2\"], \"gateway\": null}");
        NetworkConfig config = NetworkDataReader.read(new TestGuest.MapHostData(guest.hostData), new SysfsNics(guest.files).byMac());
        assertEquals("web1", config.hostname().orElseThrow());
        assertEquals("de:ad:be:ef:00:01", config.interfaces().get(0).mac());
        assertEquals("192.0.2.42/24", config.interfaces().get(0).ipv4().get(0).cidr());
        assertEquals("2001:db8::42/64", config.interfaces().get(0).ipv6().get(0).cidr());
        assertNull(config.interfaces().get(0).gateway4());
        assertNull(config.interfaces().get(0).gateway6());
        assertEquals(List.of("192.0.2.2"), config.dns());
    }

    @Test
    void freeBsdRcConfKeepsForeignLinesAndDropsOldNetworkLines(@TempDir Path root) throws IOException {
        TestGuest guest = Scenario.apply("ipv4", new TestGuest(root).os("ID=freebsd\n"))
                .file("/etc/rc.conf", "sshd_enable=\"YES\"\nhostname=\"old\"\nifconfig_eth0=\"DHCP\"\nifconfig_xn9=\"DHCP\"\n"
                        + "ifconfig_lo0=\"inet 127.0.0.1\"\ndefaultrouter=\"10.0.0.1\"\n");
        guest.resetNetwork();
        assertEquals("sshd_enable=\"YES\"\nifconfig_lo0=\"inet 127.0.0.1\"\n\n# Automatically generated, do not edit\n"
                + "hostname=\"web01\"\nifconfig_eth0=\"inet 192.0.2.42 netmask 255.255.255.0\"\ndefaultrouter=\"192.0.2.1\"\n",
                guest.read("/etc/rc.conf"));
        assertFalse(guest.tree().containsKey("/etc/hostname"), "FreeBSD keeps the hostname in rc.conf");
    }
}
