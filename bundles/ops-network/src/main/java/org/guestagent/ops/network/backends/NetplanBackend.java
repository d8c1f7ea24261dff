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
 * Ubuntu 18.04 and later: one netplan file listing every interface, matched by MAC. Ubuntu
 * before 22.04 gets gateway4/gateway6 (its netplan has no {@code to: default}).
 */
// only activated on the systems it is for (see BackendChooser)
@Component(service = NetworkBackend.class, property = "network.backend.os=debian,ubuntu")
public class NetplanBackend implements NetworkBackend {

    static final String FOLDER = "/etc/netplan";
    static final String FILE = FOLDER + "/50-guest-agent.yaml";

    @Override
    public String name() {
        return "netplan";
    }

    @Override
    public int match(OsRelease os, GuestFiles files) {
        if (os.id().equals("ubuntu") && os.versionAtLeast(18, 4)) {
            return FAMILY_VERSION;
        }
        try { // a Debian-like guest already using netplan (e.g. Debian 12 cloud images)
            boolean inUse = BackendFiles.list(files, FOLDER).stream().anyMatch(f -> f.endsWith(".yaml"));
            return os.isLike("debian", "ubuntu") && inUse && BackendFiles.exists(files, "/usr/sbin/netplan") ? FAMILY_VERSION : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    @Override
    public void plan(NetworkConfig config, OsRelease os, GuestFiles files, NetworkPlan plan) throws IOException {
        plan.write(FILE, render(config, !os.id().equals("ubuntu") || os.versionAtLeast(22, 4)), 0600);
        for (String name : BackendFiles.list(files, FOLDER)) {
            String path = FOLDER + "/" + name;
            if (!path.equals(FILE) && name.endsWith(".yaml") && conflicts(BackendFiles.text(files, path), config)) {
                plan.delete(path);
            }
        }
        plan.run("netplan", "apply");
    }

    /**
     * True when another netplan file is an older one of ours or also defines one of our interfaces
     * (by MAC or name): netplan would merge it with ours and add its addresses (e.g. cloud-init's
     * DHCP setup of eth0).
     */
    static boolean conflicts(String yaml, NetworkConfig config) {
        if (yaml.startsWith(BackendFiles.MARKER)) {
            return true;
        }
        String lower = yaml.toLowerCase();
        for (NetInterface nic : config.interfaces()) {
            if (lower.contains(nic.mac()) || java.util.regex.Pattern.compile("(?m)^\\s+[\"']?"
                    + java.util.regex.Pattern.quote(nic.name()) + "[\"']?\\s*:\\s*$").matcher(yaml).find()) {
                return true;
            }
        }
        return false;
    }

    /** The netplan YAML; {@code defaultRoutes} writes gateways as routes to default. */
    public static String render(NetworkConfig config, boolean defaultRoutes) {
        StringBuilder out = new StringBuilder(BackendFiles.MARKER).append('\n');
        out.append("network:\n");
        out.append("  version: 2\n");
        out.append("  ethernets:\n");
        for (NetInterface nic : config.interfaces()) {
            out.append("    ").append(nic.name()).append(":\n");
            if (!nic.label().isEmpty()) {
                out.append("      # Label ").append(nic.label()).append('\n');
            }
            out.append("      match:\n");
            out.append("        macaddress: \"").append(nic.mac()).append("\"\n");
            out.append("      addresses:\n");
            for (IpAddress address : nic.addresses()) {
                out.append("        - \"").append(address.cidr()).append("\"\n");
            }
            if (!defaultRoutes) {
                gateway(out, "gateway4", nic.gateway4());
                gateway(out, "gateway6", nic.gateway6());
            }
            List<String[]> routes = new ArrayList<>();
            if (defaultRoutes && nic.gateway4() != null) {
                routes.add(new String[] {"default", nic.gateway4()});
            }
            if (defaultRoutes && nic.gateway6() != null) {
                routes.add(new String[] {"default", nic.gateway6()});
            }
            for (Route route : nic.routes()) {
                routes.add(new String[] {route.cidr(), route.gateway()});
            }
            if (!routes.isEmpty()) {
                out.append("      routes:\n");
                for (String[] route : routes) {
                    out.append("        - to: \"").append(route[0]).append("\"\n");
                    out.append("          via: \"").append(route[1]).append("\"\n");
                }
            }
            if (!nic.dns().isEmpty()) {
                out.append("      nameservers:\n");
                out.append("        addresses:\n");
                nic.dns().forEach(server -> out.append("          - \"").append(server).append("\"\n"));
            }
        }
        return out.toString();
    }

    private static void gateway(StringBuilder out, String key, String gateway) {
        if (gateway != null) {
            out.append("      ").append(key).append(": \"").append(gateway).append("\"\n");
        }
    }
}
