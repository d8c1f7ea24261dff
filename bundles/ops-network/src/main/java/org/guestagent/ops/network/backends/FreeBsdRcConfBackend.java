package org.guestagent.ops.network.backends;

import java.io.IOException;
import java.util.ArrayList;
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
 * FreeBSD: the network settings and the hostname in {@code /etc/rc.conf}. The lines the agent owns
 * (hostname, ifconfig_* of configured or vanished interfaces, default routers, static routes) are
 * replaced; every other line stays. Needs a {@code NicInventory} for FreeBSD (there is no sysfs).
 */
// only activated on the systems it is for (see BackendChooser)
@Component(service = NetworkBackend.class, property = "network.backend.os=freebsd")
public class FreeBsdRcConfBackend implements NetworkBackend {

    static final String RC_CONF = "/etc/rc.conf";

    @Override
    public String name() {
        return "freebsd";
    }

    @Override
    public int match(OsRelease os, GuestFiles files) {
        return os.isLike("freebsd") ? FAMILY : 0;
    }

    @Override
    public void plan(NetworkConfig config, OsRelease os, GuestFiles files, NetworkPlan plan) throws IOException {
        String existing = BackendFiles.text(files, RC_CONF);
        List<String> lines = new ArrayList<>(BackendFiles.linesNotOwned(existing, key -> owned(key, config)));
        lines.removeIf(line -> line.equals(BackendFiles.MARKER));
        if (!lines.isEmpty()) {
            lines.add("");
        }
        lines.add(BackendFiles.MARKER);
        config.hostname().ifPresent(h -> lines.add("hostname=" + BackendFiles.quoted(h)));
        List<String> routes4 = new ArrayList<>();
        List<String> routes6 = new ArrayList<>();
        for (NetInterface nic : config.interfaces()) {
            int alias = 0;
            for (int i = 0; i < nic.ipv4().size(); i++) {
                IpAddress address = nic.ipv4().get(i);
                String netmask = i > 0 && sameSubnet(address, nic.ipv4().get(0)) ? "255.255.255.255" : address.netmask();
                String key = i == 0 ? "ifconfig_" + nic.name() : "ifconfig_" + nic.name() + "_alias" + alias++;
                lines.add(key + "=" + BackendFiles.quoted("inet " + address.address() + " netmask " + netmask));
            }
            for (int i = 0; i < nic.ipv6().size(); i++) {
                IpAddress address = nic.ipv6().get(i);
                String key = i == 0 ? "ifconfig_" + nic.name() + "_ipv6" : "ifconfig_" + nic.name() + "_alias" + alias++;
                lines.add(key + "=" + BackendFiles.quoted("inet6 " + address.address() + " prefixlen " + address.prefix()));
            }
            if (nic.gateway4() != null) {
                lines.add("defaultrouter=" + BackendFiles.quoted(nic.gateway4()));
            }
            if (nic.gateway6() != null) {
                lines.add("ipv6_defaultrouter=" + BackendFiles.quoted(nic.gateway6()));
            }
            for (Route route : nic.routes()) {
                List<String> names = route.isIpv6() ? routes6 : routes4;
                String name = "agent" + names.size();
                names.add(name);
                lines.add((route.isIpv6() ? "ipv6_route_" : "route_") + name + "="
                        + BackendFiles.quoted("-net " + route.cidr() + " " + route.gateway()));
            }
        }
        if (!routes4.isEmpty()) {
            lines.add("static_routes=" + BackendFiles.quoted(String.join(" ", routes4)));
        }
        if (!routes6.isEmpty()) {
            lines.add("ipv6_static_routes=" + BackendFiles.quoted(String.join(" ", routes6)));
        }
        plan.write(RC_CONF, String.join("\n", lines) + "\n");
        plan.cancel("/etc/hostname"); // FreeBSD keeps it in rc.conf
        plan.run("service", "netif", "restart");
        plan.run("service", "routing", "restart");
    }

    private static boolean owned(String key, NetworkConfig config) {
        if (key.equals("hostname") || key.equals("defaultrouter") || key.equals("ipv6_defaultrouter")
                || key.equals("static_routes") || key.equals("ipv6_static_routes")
                || key.startsWith("route_") || key.startsWith("ipv6_route_")) {
            return true;
        }
        if (!key.startsWith("ifconfig_")) {
            return false;
        }
        String rest = key.substring("ifconfig_".length());
        for (NetInterface nic : config.interfaces()) {
            if (rest.equals(nic.name()) || rest.startsWith(nic.name() + "_")) {
                return true;
            }
        }
        String name = rest.replaceAll("_(ipv6|alias\\d+|name)$", "");
        return !name.equals("lo0") && !name.equals("DEFAULT") && !config.guestNics().isEmpty() && !config.nicExists(name);
    }

    private static boolean sameSubnet(IpAddress a, IpAddress b) {
        return a.prefix() == b.prefix() && network(a) == network(b);
    }

    private static long network(IpAddress a) {
        String[] parts = a.address().split("\\.");
        long value = 0;
        for (String part : parts) {
            value = (value << 8) | Long.parseLong(part);
        }
        long mask = a.prefix() == 0 ? 0 : (0xFFFFFFFFL << (32 - a.prefix())) & 0xFFFFFFFFL;
        return value & mask;
    }
}
