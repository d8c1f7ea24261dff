package org.guestagent.ops.network.backends;

import java.io.IOException;

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
 * The generic fallback for any Linux guest with systemd-networkd: one {@code .network} file per
 * interface, matched by MAC, named to sort before the files of cloud-init and distributions.
 */
@Component(service = NetworkBackend.class)
public class SystemdNetworkdBackend implements NetworkBackend {

    static final String FOLDER = "/etc/systemd/network";
    static final String PREFIX = "05-guest-agent-";

    @Override
    public String name() {
        return "systemd-networkd";
    }

    @Override
    public int match(OsRelease os, GuestFiles files) {
        boolean present = BackendFiles.exists(files, "/usr/lib/systemd/systemd-networkd")
                || BackendFiles.exists(files, "/lib/systemd/systemd-networkd");
        return present && !os.id().isEmpty() ? FALLBACK : 0;
    }

    @Override
    public void plan(NetworkConfig config, OsRelease os, GuestFiles files, NetworkPlan plan) throws IOException {
        for (NetInterface nic : config.interfaces()) {
            plan.write(FOLDER + "/" + PREFIX + nic.name() + ".network", render(nic));
        }
        for (String file : BackendFiles.list(files, FOLDER)) {
            if (file.startsWith(PREFIX) && file.endsWith(".network")) {
                String name = file.substring(PREFIX.length(), file.length() - ".network".length());
                if (BackendFiles.isStale(name, BackendFiles.text(files, FOLDER + "/" + file), config)) {
                    plan.delete(FOLDER + "/" + file);
                }
            }
        }
        plan.run("systemctl", "restart", "systemd-networkd");
    }

    static String render(NetInterface nic) {
        StringBuilder out = new StringBuilder(BackendFiles.MARKER).append('\n');
        if (!nic.label().isEmpty()) {
            out.append("# Label ").append(nic.label()).append('\n');
        }
        out.append("[Match]\n");
        out.append("MACAddress=").append(nic.mac()).append("\n\n");
        out.append("[Network]\n");
        for (IpAddress address : nic.addresses()) {
            out.append("Address=").append(address.cidr()).append('\n');
        }
        if (nic.gateway4() != null) {
            out.append("Gateway=").append(nic.gateway4()).append('\n');
        }
        if (nic.gateway6() != null) {
            out.append("Gateway=").append(nic.gateway6()).append('\n');
        }
        nic.dns().forEach(server -> out.append("DNS=").append(server).append('\n'));
        if (!nic.ipv6().isEmpty()) {
            out.append("IPv6AcceptRA=no\n");
        }
        for (Route route : nic.routes()) {
            out.append("\n[Route]\n");
            out.append("Destination=").append(route.cidr()).append('\n');
            out.append("Gateway=").append(route.gateway()).append('\n');
        }
        return out.toString();
    }
}
