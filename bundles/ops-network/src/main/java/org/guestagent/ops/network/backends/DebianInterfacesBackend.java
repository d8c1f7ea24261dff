package org.guestagent.ops.network.backends;

import java.util.List;

import org.guestagent.api.system.GuestFiles;
import org.guestagent.commands.network.spi.IpAddress;
import org.guestagent.commands.network.spi.NetInterface;
import org.guestagent.commands.network.spi.NetworkBackend;
import org.guestagent.commands.network.spi.NetworkConfig;
import org.guestagent.commands.network.spi.NetworkPlan;
import org.guestagent.commands.network.spi.OsRelease;
import org.guestagent.commands.network.spi.Route;
import org.osgi.service.component.annotations.Component;

/**
 * Debian and Ubuntu before netplan: one {@code /etc/network/interfaces} for ifupdown. Each
 * interface gets an {@code inet static} stanza for its first IPv4 address (with gateway, DNS and
 * routes), one more stanza per further address, and an {@code inet6 static} stanza likewise.
 */
// only activated on the systems it is for (see BackendChooser)
@Component(service = NetworkBackend.class, property = "network.backend.os=debian,ubuntu")
public class DebianInterfacesBackend implements NetworkBackend {

    static final String INTERFACES = "/etc/network/interfaces";

    @Override
    public String name() {
        return "debian";
    }

    @Override
    public int match(OsRelease os, GuestFiles files) {
        return os.isLike("debian", "ubuntu") ? FAMILY : 0;
    }

    @Override
    public void plan(NetworkConfig config, OsRelease os, GuestFiles files, NetworkPlan plan) {
        plan.write(INTERFACES, render(config));
        for (NetInterface nic : config.interfaces()) {
            // A guest that was on DHCP keeps its dhclient (ifdown reads the new, static stanza and
            // leaves it running), which would put its lease back: stop it by the pid file ifup gave it.
            for (List<String> stop : stopDhcpClients(nic.name())) {
                plan.tryRun(stop.toArray(String[]::new));
            }
            plan.tryRun("ifdown", "--force", nic.name());
            plan.tryRun("ip", "addr", "flush", "dev", nic.name());
            plan.run("ifup", nic.name());
        }
    }

    /** Stops the dhclient processes ifupdown starts for "inet dhcp" and "inet6 dhcp" (no lease release). */
    public static List<List<String>> stopDhcpClients(String nic) {
        return List.of(List.of("dhclient", "-x", "-pf", "/run/dhclient." + nic + ".pid", nic),
                List.of("dhclient", "-6", "-x", "-pf", "/run/dhclient6." + nic + ".pid", nic));
    }

    /** The whole interfaces file. */
    public static String render(NetworkConfig config) {
        StringBuilder out = new StringBuilder();
        out.append("# Used by ifup(8) and ifdown(8). See the interfaces(5) manpage or\n");
        out.append("# /usr/share/doc/ifupdown/examples for more information.\n");
        out.append("# The loopback network interface\n");
        out.append("auto lo\n");
        out.append("iface lo inet loopback\n");
        for (NetInterface nic : config.interfaces()) {
            out.append('\n');
            if (!nic.label().isEmpty()) {
                out.append("# Label ").append(nic.label()).append('\n');
            }
            out.append("auto ").append(nic.name()).append('\n');
            boolean dnsWritten = false;
            dnsWritten = family(out, nic, nic.ipv4(), "inet", nic.gateway4(), nic.routes4(), dnsWritten);
            family(out, nic, nic.ipv6(), "inet6", nic.gateway6(), nic.routes6(), dnsWritten);
        }
        return out.toString();
    }

    /** The stanzas of one address family; returns whether the DNS line is written by now. */
    private static boolean family(StringBuilder out, NetInterface nic, List<IpAddress> addresses, String family,
            String gateway, List<Route> routes, boolean dnsWritten) {
        boolean ipv6 = family.equals("inet6");
        for (int i = 0; i < addresses.size(); i++) {
            IpAddress address = addresses.get(i);
            out.append("iface ").append(nic.name()).append(' ').append(family).append(" static\n");
            option(out, "address", address.address());
            option(out, "netmask", ipv6 ? String.valueOf(address.prefix()) : address.netmask());
            if (i == 0) {
                if (gateway != null) {
                    option(out, "gateway", gateway);
                }
                if (!dnsWritten && !nic.dns().isEmpty()) {
                    option(out, "dns-nameservers", String.join(" ", nic.dns()));
                    dnsWritten = true;
                }
                for (Route route : routes) {
                    String ip = ipv6 ? "ip -6 route" : "ip route";
                    String spec = route.cidr() + " via " + route.gateway() + " dev " + nic.name();
                    option(out, "up", ip + " add " + spec);
                    option(out, "down", ip + " del " + spec);
                }
            }
        }
        return dnsWritten;
    }

    private static void option(StringBuilder out, String key, String value) {
        out.append("    ").append(key).append(' ').append(value).append('\n');
    }
}
