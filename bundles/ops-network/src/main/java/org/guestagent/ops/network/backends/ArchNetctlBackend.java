package org.guestagent.ops.network.backends;

import java.io.IOException;
import java.util.List;
import java.util.stream.Collectors;

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
 * Arch Linux with netctl: one profile {@code /etc/netctl/<if>} per interface. An Arch guest
 * without netctl uses systemd-networkd (the fallback backend).
 */
// only activated on the systems it is for (see BackendChooser)
@Component(service = NetworkBackend.class, property = "network.backend.os=arch")
public class ArchNetctlBackend implements NetworkBackend {

    static final String FOLDER = "/etc/netctl";

    @Override
    public String name() {
        return "arch";
    }

    @Override
    public int match(OsRelease os, GuestFiles files) {
        return os.isLike("arch") && BackendFiles.exists(files, "/usr/bin/netctl") ? FAMILY : 0;
    }

    @Override
    public void plan(NetworkConfig config, OsRelease os, GuestFiles files, NetworkPlan plan) throws IOException {
        for (NetInterface nic : config.interfaces()) {
            plan.write(FOLDER + "/" + nic.name(), profile(nic));
        }
        for (String name : BackendFiles.list(files, FOLDER)) {
            if (BackendFiles.isStale(name, BackendFiles.text(files, FOLDER + "/" + name), config)) {
                plan.delete(FOLDER + "/" + name);
            }
        }
        for (NetInterface nic : config.interfaces()) {
            plan.tryRun("netctl", "reenable", nic.name());
            plan.run("netctl", "restart", nic.name());
        }
    }

    static String profile(NetInterface nic) {
        StringBuilder out = new StringBuilder(BackendFiles.MARKER).append('\n');
        out.append("Description=").append(quoted(nic.label().isEmpty() ? nic.name() : nic.label())).append('\n');
        out.append("Interface=").append(nic.name()).append('\n');
        out.append("Connection=ethernet\n");
        family(out, "", nic.ipv4(), nic.gateway4(), nic.routes4());
        family(out, "6", nic.ipv6(), nic.gateway6(), nic.routes6());
        if (!nic.dns().isEmpty()) {
            out.append("DNS=").append(array(nic.dns())).append('\n');
        }
        return out.toString();
    }

    private static void family(StringBuilder out, String six, List<IpAddress> addresses, String gateway, List<Route> routes) {
        if (addresses.isEmpty()) {
            out.append("IP").append(six).append("=no\n");
            return;
        }
        out.append("IP").append(six).append("=static\n");
        out.append("Address").append(six).append('=').append(array(addresses.stream().map(IpAddress::cidr).toList())).append('\n');
        if (gateway != null) {
            out.append("Gateway").append(six).append('=').append(quoted(gateway)).append('\n');
        }
        if (!routes.isEmpty()) {
            out.append("Routes").append(six).append('=')
                    .append(array(routes.stream().map(r -> r.cidr() + " via " + r.gateway()).toList())).append('\n');
        }
    }

    private static String array(List<String> values) {
        return values.stream().map(ArchNetctlBackend::quoted).collect(Collectors.joining(" ", "(", ")"));
    }

    private static String quoted(String value) {
        return "'" + value.replace("'", "'\\''") + "'";
    }
}
