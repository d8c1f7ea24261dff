package org.guestagent.ops.network.backends;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

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
 * Red Hat family up to RHEL 8: {@code ifcfg-<if>}, {@code route-<if>} and {@code route6-<if>}
 * under /etc/sysconfig/network-scripts. Keys of an existing ifcfg file that the agent does not
 * own (ZONE, MTU, ...) are kept. Before RHEL 8 network-scripts run the interfaces
 * ({@code NM_CONTROLLED=no}); from 8 on NetworkManager reads the same files.
 */
// only activated on the systems it is for (see BackendChooser)
@Component(service = NetworkBackend.class, property = "network.backend.os=rhel,centos,fedora")
public class RedHatIfcfgBackend implements NetworkBackend {

    static final String FOLDER = "/etc/sysconfig/network-scripts";
    private static final Pattern OWNED = Pattern.compile(
            "DEVICE|BOOTPROTO|HWADDR|MACADDR|(IPADDR|NETMASK|PREFIX|GATEWAY)\\d*|DEFROUTE|IPV6INIT|IPV6_AUTOCONF|IPV6ADDR"
                    + "|IPV6ADDR_SECONDARIES|IPV6_DEFAULTGW|DNS\\d+|ONBOOT|NM_CONTROLLED|BROADCAST|NETWORK");

    @Override
    public String name() {
        return "redhat";
    }

    @Override
    public int match(OsRelease os, GuestFiles files) {
        return os.isLike("rhel", "centos", "fedora") ? FAMILY : 0;
    }

    @Override
    public void plan(NetworkConfig config, OsRelease os, GuestFiles files, NetworkPlan plan) throws IOException {
        boolean networkManager = os.majorVersion() >= 8 || os.id().equals("fedora");
        for (NetInterface nic : config.interfaces()) {
            String ifcfg = FOLDER + "/ifcfg-" + nic.name();
            plan.write(ifcfg, ifcfg(nic, BackendFiles.text(files, ifcfg), !networkManager));
            routeFile(plan, FOLDER + "/route-" + nic.name(), routes4(nic));
            routeFile(plan, FOLDER + "/route6-" + nic.name(), routes6(nic));
        }
        for (String file : BackendFiles.list(files, FOLDER)) {
            if (file.startsWith("ifcfg-")) {
                String name = file.substring("ifcfg-".length());
                if (BackendFiles.isStale(name, BackendFiles.text(files, FOLDER + "/" + file), config)) {
                    plan.delete(FOLDER + "/" + file);
                    plan.delete(FOLDER + "/route-" + name);
                    plan.delete(FOLDER + "/route6-" + name);
                }
            }
        }
        if (os.majorVersion() > 0 && os.majorVersion() < 7 && config.hostname().isPresent()) {
            sysconfigNetworkHostname(config.hostname().get(), files, plan);
        }
        if (networkManager) {
            plan.run("nmcli", "connection", "reload");
            config.interfaces().forEach(nic -> plan.run("nmcli", "device", "connect", nic.name()));
        } else if (os.majorVersion() == 6) {
            plan.run("service", "network", "restart");
        } else {
            plan.run("systemctl", "restart", "network");
        }
    }

    /** The ifcfg file: our keys first, then the kept keys of the old file. */
    static String ifcfg(NetInterface nic, String existing, boolean networkScripts) {
        List<String> lines = new ArrayList<>();
        lines.add(BackendFiles.MARKER);
        lines.add("");
        if (!nic.label().isEmpty()) {
            lines.add("# Label " + nic.label());
        }
        lines.add("DEVICE=" + nic.name());
        lines.add("BOOTPROTO=static");
        lines.add("HWADDR=" + nic.mac());
        for (int i = 0; i < nic.ipv4().size(); i++) {
            IpAddress address = nic.ipv4().get(i);
            String index = i == 0 ? "" : String.valueOf(i);
            lines.add("IPADDR" + index + "=" + address.address());
            lines.add("NETMASK" + index + "=" + address.netmask());
        }
        if (nic.gateway4() != null) {
            lines.add("DEFROUTE=yes");
            lines.add("GATEWAY=" + nic.gateway4());
        }
        if (!nic.ipv6().isEmpty()) {
            lines.add("IPV6INIT=yes");
            lines.add("IPV6_AUTOCONF=no");
            lines.add("IPV6ADDR=" + nic.ipv6().get(0).cidr());
            if (nic.ipv6().size() > 1) {
                lines.add("IPV6ADDR_SECONDARIES=\"" + String.join(" ",
                        nic.ipv6().subList(1, nic.ipv6().size()).stream().map(IpAddress::cidr).toList()) + "\"");
            }
            if (nic.gateway6() != null) {
                lines.add("IPV6_DEFAULTGW=" + nic.gateway6() + "%" + nic.name());
            }
        }
        for (int i = 0; i < nic.dns().size(); i++) {
            lines.add("DNS" + (i + 1) + "=" + nic.dns().get(i));
        }
        lines.add("ONBOOT=yes");
        if (networkScripts) {
            lines.add("NM_CONTROLLED=no");
        }
        List<String> kept = BackendFiles.linesNotOwned(existing, key -> OWNED.matcher(key).matches()).stream()
                .filter(line -> !line.strip().startsWith("#") && !line.isBlank()).toList();
        if (!kept.isEmpty()) {
            lines.add("");
            lines.add("# Kept from the previous file");
            lines.addAll(kept);
        }
        return String.join("\n", lines) + "\n";
    }

    private static List<String> routes4(NetInterface nic) {
        List<String> lines = new ArrayList<>();
        List<Route> routes = nic.routes4();
        for (int i = 0; i < routes.size(); i++) {
            lines.add("ADDRESS" + i + "=" + routes.get(i).network());
            lines.add("NETMASK" + i + "=" + routes.get(i).netmask());
            lines.add("GATEWAY" + i + "=" + routes.get(i).gateway());
        }
        return lines;
    }

    private static List<String> routes6(NetInterface nic) {
        return nic.routes6().stream().map(r -> r.cidr() + " via " + r.gateway() + " dev " + nic.name()).toList();
    }

    /** Writes a route file, or removes an old one when the interface has no such routes now. */
    private static void routeFile(NetworkPlan plan, String path, List<String> lines) {
        if (lines.isEmpty()) {
            plan.delete(path);
        } else {
            plan.write(path, BackendFiles.MARKER + "\n" + String.join("\n", lines) + "\n");
        }
    }

    /** RHEL 6 keeps the hostname as HOSTNAME= in /etc/sysconfig/network. */
    private static void sysconfigNetworkHostname(String hostname, GuestFiles files, NetworkPlan plan) throws IOException {
        String path = "/etc/sysconfig/network";
        List<String> lines = new ArrayList<>(BackendFiles.linesNotOwned(BackendFiles.text(files, path), "HOSTNAME"::equals));
        lines.add("HOSTNAME=" + hostname);
        plan.write(path, String.join("\n", lines) + "\n");
    }
}
