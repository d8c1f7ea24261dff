package org.guestagent.ops.network.backends;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.guestagent.commands.network.spi.IpAddress;
import org.guestagent.commands.network.spi.NetInterface;
import org.guestagent.commands.network.spi.NetworkConfig;
import org.junit.jupiter.api.Test;

/** The original agent's expected Debian and Red Hat outputs (its tests), line for line. */
class SeedFactsTest {

    private static final NetInterface IPV4 = new NetInterface("eth0", "00:11:22:33:44:55", "public",
            List.of(new IpAddress("192.0.2.42", 24)), List.of(), "192.0.2.1", null, List.of(), List.of("192.0.2.2"));
    private static final NetInterface IPV6 = new NetInterface("eth0", "00:11:22:33:44:55", "public",
            List.of(), List.of(new IpAddress("2001:db8::42", 96)), null, "2001:db8::1", List.of(), List.of("2001:db8::2"));

    private static NetworkConfig config(NetInterface nic) {
        return new NetworkConfig(Optional.empty(), List.of(nic), nic.dns(), Map.of(nic.mac(), nic.name()));
    }

    private static List<String> lines(String text) {
        return List.of(text.stripTrailing().split("\n"));
    }

    @Test
    void redHatIpv4() {
        assertEquals(List.of("# Automatically generated, do not edit", "", "# Label public", "DEVICE=eth0",
                "BOOTPROTO=static", "HWADDR=00:11:22:33:44:55", "IPADDR=192.0.2.42", "NETMASK=255.255.255.0",
                "DEFROUTE=yes", "GATEWAY=192.0.2.1", "DNS1=192.0.2.2", "ONBOOT=yes", "NM_CONTROLLED=no"),
                lines(RedHatIfcfgBackend.ifcfg(IPV4, null, true)));
    }

    @Test
    void redHatIpv6() {
        assertEquals(List.of("# Automatically generated, do not edit", "", "# Label public", "DEVICE=eth0",
                "BOOTPROTO=static", "HWADDR=00:11:22:33:44:55", "IPV6INIT=yes", "IPV6_AUTOCONF=no",
                "IPV6ADDR=2001:db8::42/96", "IPV6_DEFAULTGW=2001:db8::1%eth0", "DNS1=2001:db8::2", "ONBOOT=yes",
                "NM_CONTROLLED=no"),
                lines(RedHatIfcfgBackend.ifcfg(IPV6, null, true)));
    }

    @Test
    void debianIpv4() {
        assertEquals(List.of("# Used by ifup(8) and ifdown(8). See the interfaces(5) manpage or",
                "# /usr/share/doc/ifupdown/examples for more information.", "# The loopback network interface",
                "auto lo", "iface lo inet loopback", "", "# Label public", "auto eth0", "iface eth0 inet static",
                "    address 192.0.2.42", "    netmask 255.255.255.0", "    gateway 192.0.2.1",
                "    dns-nameservers 192.0.2.2"),
                lines(DebianInterfacesBackend.render(config(IPV4))));
    }

    @Test
    void debianIpv6() {
        assertEquals(List.of("# Used by ifup(8) and ifdown(8). See the interfaces(5) manpage or",
                "# /usr/share/doc/ifupdown/examples for more information.", "# The loopback network interface",
                "auto lo", "iface lo inet loopback", "", "# Label public", "auto eth0", "iface eth0 inet6 static",
                "    address 2001:db8::42", "    netmask 96", "    gateway 2001:db8::1",
                "    dns-nameservers 2001:db8::2"),
                lines(DebianInterfacesBackend.render(config(IPV6))));
    }

    @Test
    void redHatRouteFileUsesAddressNetmaskGatewayTriples() throws Exception {
        NetInterface nic = new NetInterface("eth0", "00:11:22:33:44:55", "", List.of(new IpAddress("192.0.2.42", 24)),
                List.of(), null, null, List.of(new org.guestagent.commands.network.spi.Route("10.0.0.0", 8, "192.0.2.254")), List.of());
        org.guestagent.commands.network.spi.NetworkPlan plan = new org.guestagent.commands.network.spi.NetworkPlan();
        new RedHatIfcfgBackend().plan(config(nic), new org.guestagent.commands.network.spi.OsRelease("centos", List.of("rhel"), "7"),
                new org.guestagent.system.LocalGuestFiles(java.nio.file.Files.createTempDirectory("seed")), plan);
        assertEquals(List.of("# Automatically generated, do not edit", "ADDRESS0=10.0.0.0", "NETMASK0=255.0.0.0", "GATEWAY0=192.0.2.254"),
                lines(plan.writes().get("/etc/sysconfig/network-scripts/route-eth0").text()));
    }
}
