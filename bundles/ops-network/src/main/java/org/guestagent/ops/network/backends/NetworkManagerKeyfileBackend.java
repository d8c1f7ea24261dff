package org.guestagent.ops.network.backends;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;

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
 * RHEL 9+ and Fedora 33+: NetworkManager keyfiles {@code <if>.nmconnection} (mode 0600), one
 * profile per interface with a UUID derived from its MAC, so a second run replaces the profile.
 * An ifcfg file for the same interface would make a second profile, so it is removed.
 */
// only activated on the systems it is for (see BackendChooser)
@Component(service = NetworkBackend.class, property = "network.backend.os=fedora,rhel,centos")
public class NetworkManagerKeyfileBackend implements NetworkBackend {

    static final String FOLDER = "/etc/NetworkManager/system-connections";

    @Override
    public String name() {
        return "networkmanager";
    }

    @Override
    public int match(OsRelease os, GuestFiles files) {
        if (os.id().equals("fedora")) {
            return os.majorVersion() >= 33 ? FAMILY_VERSION : 0;
        }
        return os.isLike("rhel", "centos") && os.majorVersion() >= 9 ? FAMILY_VERSION : 0;
    }

    @Override
    public void plan(NetworkConfig config, OsRelease os, GuestFiles files, NetworkPlan plan) throws IOException {
        for (NetInterface nic : config.interfaces()) {
            plan.write(FOLDER + "/" + nic.name() + ".nmconnection", keyfile(nic), 0600);
            plan.delete(RedHatIfcfgBackend.FOLDER + "/ifcfg-" + nic.name());
        }
        for (String file : BackendFiles.list(files, FOLDER)) {
            if (file.endsWith(".nmconnection")) {
                String name = file.substring(0, file.length() - ".nmconnection".length());
                if (BackendFiles.isStale(name, BackendFiles.text(files, FOLDER + "/" + file), config)) {
                    plan.delete(FOLDER + "/" + file);
                }
            }
        }
        plan.run("nmcli", "connection", "reload");
        config.interfaces().forEach(nic -> plan.run("nmcli", "connection", "up", "uuid", uuid(nic)));
    }

    static String uuid(NetInterface nic) {
        return UUID.nameUUIDFromBytes(("guest-agent:" + nic.mac()).getBytes(StandardCharsets.UTF_8)).toString();
    }

    static String keyfile(NetInterface nic) {
        StringBuilder out = new StringBuilder(BackendFiles.MARKER).append('\n');
        if (!nic.label().isEmpty()) {
            out.append("# Label ").append(nic.label()).append('\n');
        }
        out.append("[connection]\n");
        out.append("id=").append(nic.name()).append('\n');
        out.append("uuid=").append(uuid(nic)).append('\n');
        out.append("type=ethernet\n");
        out.append("interface-name=").append(nic.name()).append('\n');
        out.append("autoconnect=true\n");
        out.append("autoconnect-priority=100\n\n");
        out.append("[ethernet]\n");
        out.append("mac-address=").append(nic.mac().toUpperCase()).append("\n\n");
        section(out, "ipv4", nic.ipv4(), nic.gateway4(), nic.routes4(), dns(nic, false), "disabled");
        out.append('\n');
        section(out, "ipv6", nic.ipv6(), nic.gateway6(), nic.routes6(), dns(nic, true), "ignore");
        return out.toString();
    }

    private static List<String> dns(NetInterface nic, boolean ipv6) {
        return nic.dns().stream().filter(d -> d.contains(":") == ipv6).toList();
    }

    private static void section(StringBuilder out, String family, List<IpAddress> addresses, String gateway,
            List<Route> routes, List<String> dns, String off) {
        out.append('[').append(family).append("]\n");
        if (addresses.isEmpty()) {
            out.append("method=").append(off).append('\n');
            return;
        }
        out.append("method=manual\n");
        for (int i = 0; i < addresses.size(); i++) {
            out.append("address").append(i + 1).append('=').append(addresses.get(i).cidr()).append('\n');
        }
        if (gateway != null) {
            out.append("gateway=").append(gateway).append('\n');
        } else {
            out.append("never-default=true\n");
        }
        for (int i = 0; i < routes.size(); i++) {
            out.append("route").append(i + 1).append('=').append(routes.get(i).cidr()).append(',')
                    .append(routes.get(i).gateway()).append('\n');
        }
        if (!dns.isEmpty()) {
            out.append("dns=").append(String.join(";", dns)).append(";\n");
        }
    }
}
