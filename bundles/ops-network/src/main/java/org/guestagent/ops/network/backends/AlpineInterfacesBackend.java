package org.guestagent.ops.network.backends;

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
 * Alpine: {@code /etc/network/interfaces} for ifupdown-ng (Alpine 3.13+), one stanza per
 * interface with every address in CIDR form, restarted through OpenRC.
 */
// only activated on the systems it is for (see BackendChooser)
@Component(service = NetworkBackend.class, property = "network.backend.os=alpine")
public class AlpineInterfacesBackend implements NetworkBackend {

    @Override
    public String name() {
        return "alpine";
    }

    @Override
    public int match(OsRelease os, GuestFiles files) {
        return os.isLike("alpine") ? FAMILY : 0;
    }

    @Override
    public void plan(NetworkConfig config, OsRelease os, GuestFiles files, NetworkPlan plan) {
        StringBuilder out = new StringBuilder(BackendFiles.MARKER).append('\n');
        out.append("auto lo\n");
        out.append("iface lo inet loopback\n");
        for (NetInterface nic : config.interfaces()) {
            out.append('\n');
            if (!nic.label().isEmpty()) {
                out.append("# Label ").append(nic.label()).append('\n');
            }
            out.append("auto ").append(nic.name()).append('\n');
            out.append("iface ").append(nic.name()).append('\n');
            for (IpAddress address : nic.addresses()) {
                out.append("    address ").append(address.cidr()).append('\n');
            }
            if (nic.gateway4() != null) {
                out.append("    gateway ").append(nic.gateway4()).append('\n');
            }
            if (nic.gateway6() != null) {
                out.append("    gateway ").append(nic.gateway6()).append('\n');
            }
            for (Route route : nic.routes()) {
                String ip = route.isIpv6() ? "ip -6 route" : "ip route";
                String spec = route.cidr() + " via " + route.gateway() + " dev " + nic.name();
                out.append("    up ").append(ip).append(" add ").append(spec).append('\n');
                out.append("    down ").append(ip).append(" del ").append(spec).append('\n');
            }
        }
        plan.write(DebianInterfacesBackend.INTERFACES, out.toString());
        plan.run("rc-service", "networking", "restart");
    }
}
