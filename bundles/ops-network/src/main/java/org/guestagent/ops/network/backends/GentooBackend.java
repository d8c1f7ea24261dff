package org.guestagent.ops.network.backends;

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
 * Gentoo with OpenRC's netifrc: {@code /etc/conf.d/net} (newline-separated lists), the hostname
 * also in {@code /etc/conf.d/hostname}, and one {@code net.<if>} service per interface.
 */
// only activated on the systems it is for (see BackendChooser)
@Component(service = NetworkBackend.class, property = "network.backend.os=gentoo")
public class GentooBackend implements NetworkBackend {

    static final String NET = "/etc/conf.d/net";

    @Override
    public String name() {
        return "gentoo";
    }

    @Override
    public int match(OsRelease os, GuestFiles files) {
        return os.isLike("gentoo") ? FAMILY : 0;
    }

    @Override
    public void plan(NetworkConfig config, OsRelease os, GuestFiles files, NetworkPlan plan) {
        StringBuilder out = new StringBuilder(BackendFiles.MARKER).append('\n');
        out.append("modules=\"iproute2\"\n");
        for (NetInterface nic : config.interfaces()) {
            out.append('\n');
            if (!nic.label().isEmpty()) {
                out.append("# Label ").append(nic.label()).append('\n');
            }
            list(out, "config_" + nic.name(), nic.addresses().stream().map(IpAddress::cidr).toList());
            List<String> routes = new ArrayList<>();
            if (nic.gateway4() != null) {
                routes.add("default via " + nic.gateway4());
            }
            if (nic.gateway6() != null) {
                routes.add("default via " + nic.gateway6());
            }
            for (Route route : nic.routes()) {
                routes.add(route.cidr() + " via " + route.gateway());
            }
            list(out, "routes_" + nic.name(), routes);
            list(out, "dns_servers_" + nic.name(), nic.dns());
        }
        plan.write(NET, out.toString());
        config.hostname().ifPresent(h -> plan.write("/etc/conf.d/hostname", "hostname=" + BackendFiles.quoted(h) + "\n"));
        for (NetInterface nic : config.interfaces()) {
            String service = "net." + nic.name();
            plan.tryRun("ln", "-sn", "net.lo", "/etc/init.d/" + service); // exists after the first run
            plan.tryRun("rc-update", "add", service, "default");
            plan.run("rc-service", service, "restart");
        }
    }

    private static void list(StringBuilder out, String key, List<String> values) {
        if (!values.isEmpty()) {
            out.append(key).append("=\"").append(String.join("\n", values)).append("\"\n");
        }
    }
}
