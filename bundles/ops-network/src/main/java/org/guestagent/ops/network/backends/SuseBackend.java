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
 * SUSE (wicked / sysconfig): {@code ifcfg-<if>} and {@code ifroute-<if>} under
 * /etc/sysconfig/network; DNS also as NETCONFIG_DNS_STATIC_SERVERS so netconfig keeps it.
 */
// only activated on the systems it is for (see BackendChooser)
@Component(service = NetworkBackend.class, property = "network.backend.os=suse,sles,opensuse*")
public class SuseBackend implements NetworkBackend {

    static final String FOLDER = "/etc/sysconfig/network";
    static final String NETCONFIG = FOLDER + "/config";

    @Override
    public String name() {
        return "suse";
    }

    @Override
    public int match(OsRelease os, GuestFiles files) {
        return os.isLike("suse", "opensuse", "sles") || os.id().startsWith("opensuse") ? FAMILY : 0;
    }

    @Override
    public void plan(NetworkConfig config, OsRelease os, GuestFiles files, NetworkPlan plan) throws IOException {
        for (NetInterface nic : config.interfaces()) {
            plan.write(FOLDER + "/ifcfg-" + nic.name(), ifcfg(nic));
            List<String> routes = routes(nic);
            if (routes.isEmpty()) {
                plan.delete(FOLDER + "/ifroute-" + nic.name());
            } else {
                plan.write(FOLDER + "/ifroute-" + nic.name(), BackendFiles.MARKER + "\n" + String.join("\n", routes) + "\n");
            }
        }
        for (String file : BackendFiles.list(files, FOLDER)) {
            if (file.startsWith("ifcfg-")) {
                String name = file.substring("ifcfg-".length());
                if (BackendFiles.isStale(name, BackendFiles.text(files, FOLDER + "/" + file), config)) {
                    plan.delete(FOLDER + "/" + file);
                    plan.delete(FOLDER + "/ifroute-" + name);
                }
            }
        }
        String netconfig = BackendFiles.text(files, NETCONFIG);
        if (netconfig != null && !config.dns().isEmpty()) {
            List<String> lines = new ArrayList<>(BackendFiles.linesNotOwned(netconfig, "NETCONFIG_DNS_STATIC_SERVERS"::equals));
            lines.add("NETCONFIG_DNS_STATIC_SERVERS=" + BackendFiles.quoted(String.join(" ", config.dns())));
            plan.write(NETCONFIG, String.join("\n", lines) + "\n");
        }
        if (config.hostname().isPresent() && BackendFiles.exists(files, "/etc/HOSTNAME")) {
            plan.write("/etc/HOSTNAME", config.hostname().get() + "\n"); // SLES 12 and older
        }
        plan.run("systemctl", "restart", "network");
    }

    static String ifcfg(NetInterface nic) {
        StringBuilder out = new StringBuilder(BackendFiles.MARKER).append('\n');
        if (!nic.label().isEmpty()) {
            out.append("# Label ").append(nic.label()).append('\n');
        }
        out.append("BOOTPROTO='static'\n");
        out.append("STARTMODE='auto'\n");
        List<IpAddress> addresses = nic.addresses();
        for (int i = 0; i < addresses.size(); i++) {
            out.append("IPADDR").append(i == 0 ? "" : "_" + i).append("='").append(addresses.get(i).cidr()).append("'\n");
        }
        return out.toString();
    }

    private static List<String> routes(NetInterface nic) {
        List<String> lines = new ArrayList<>();
        if (nic.gateway4() != null) {
            lines.add("default " + nic.gateway4() + " - " + nic.name());
        }
        if (nic.gateway6() != null) {
            lines.add("default " + nic.gateway6() + " - " + nic.name());
        }
        for (Route route : nic.routes()) {
            lines.add(route.cidr() + " " + route.gateway() + " - " + nic.name());
        }
        return lines;
    }
}
