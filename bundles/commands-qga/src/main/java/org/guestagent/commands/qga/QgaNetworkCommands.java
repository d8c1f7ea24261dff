package org.guestagent.commands.qga;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InterfaceAddress;
import java.net.NetworkInterface;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.guestagent.api.command.Command;
import org.guestagent.api.command.CommandArgument;
import org.guestagent.api.command.CommandException;
import org.guestagent.api.command.CommandSet;
import org.guestagent.api.command.ServesCommands;
import org.guestagent.api.platform.NativePlatform;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * guest-network-get-interfaces: the running kernel's interfaces in index order, as qemu-ga lists
 * them (getifaddrs): name, hardware address, IPv4 then IPv6 addresses with their prefixes, and,
 * for an interface with addresses, the kernel's counters. Read-only; nothing here changes the guest.
 */
@Component(service = CommandSet.class)
@ServesCommands(commands = "guest-network-get-interfaces", protocols = "qga")
public class QgaNetworkCommands implements CommandSet {

    /** getifaddrs, for the addresses in the kernel's order; Java's own list where it is missing. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile NativePlatform platform;

    public QgaNetworkCommands() {
    }

    /** For tools and tests: with the given platform (or null). */
    QgaNetworkCommands(NativePlatform platform) {
        this.platform = platform;
    }

    @Command(value = "guest-network-get-interfaces", quiet = true)
    public String interfaces(CommandArgument argument) {
        QgaArguments.check(argument);
        // every interface the kernel has (/sys/class/net), up or down, as getifaddrs lists them;
        // Java's list leaves out interfaces that are down, so it only supplies the addresses
        record Link(String name, int index, String mac) {
        }
        List<Link> links = new ArrayList<>();
        try (java.util.stream.Stream<Path> names = Files.list(Path.of("/sys/class/net"))) {
            for (Path folder : names.toList()) {
                try {
                    links.add(new Link(folder.getFileName().toString(),
                            Integer.parseInt(Files.readString(folder.resolve("ifindex")).strip()),
                            Files.readString(folder.resolve("address")).strip()));
                } catch (IOException | NumberFormatException e) {
                    // not an interface (bonding_masters) or gone meanwhile
                }
            }
        } catch (IOException e) {
            throw new CommandException("getifaddrs failed: " + e.getMessage());
        }
        links.sort(Comparator.comparingInt(Link::index));
        Map<String, List<Object>> known = platformAddresses();
        List<Object> result = new ArrayList<>();
        for (Link link : links) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("name", link.name());
            entry.put("hardware-address", link.mac().isEmpty() ? "00:00:00:00:00:00" : link.mac());
            List<Object> addresses = known != null ? known.getOrDefault(link.name(), List.of()) : javaAddresses(link.name());
            if (!addresses.isEmpty()) {
                entry.put("ip-addresses", addresses);
                Map<String, Object> statistics = statistics(link.name());
                if (statistics != null) {
                    entry.put("statistics", statistics);
                }
            }
            result.add(entry);
        }
        return Json.of(result);
    }

    /**
     * Every interface's addresses from getifaddrs (through the platform bundle), in its order, as
     * qemu-ga lists them; null when the platform is not there.
     */
    private Map<String, List<Object>> platformAddresses() {
        NativePlatform nativePlatform = platform;
        if (nativePlatform == null) {
            return null;
        }
        List<NativePlatform.InterfaceAddress> all;
        try {
            all = nativePlatform.interfaceAddresses();
        } catch (UnsupportedOperationException e) {
            return null;
        } catch (IllegalStateException e) {
            throw new CommandException(e.getMessage());
        }
        Map<String, List<Object>> byInterface = new LinkedHashMap<>();
        for (NativePlatform.InterfaceAddress a : all) {
            String text;
            try {
                InetAddress address = InetAddress.getByAddress(a.address());
                text = address instanceof Inet6Address v6 ? ipv6Text(v6) : address.getHostAddress();
            } catch (UnknownHostException e) {
                continue; // not 4 or 16 bytes: cannot be
            }
            byInterface.computeIfAbsent(a.interfaceName(), name -> new ArrayList<>())
                    .add(address(a.ipv6() ? "ipv6" : "ipv4", text, a.prefixLength()));
        }
        return byInterface;
    }

    /**
     * The addresses Java knows (where the platform bundle is missing): IPv4 then IPv6, but not
     * always in the kernel's order (Java reads IPv6 addresses from /proc/net/if_inet6).
     */
    private static List<Object> javaAddresses(String name) {
        NetworkInterface nic;
        try {
            nic = NetworkInterface.getByName(name);
        } catch (IOException e) {
            nic = null;
        }
        List<Object> addresses = new ArrayList<>();
        for (boolean v4 : new boolean[] {true, false}) {
            for (InterfaceAddress a : nic == null ? List.<InterfaceAddress>of() : nic.getInterfaceAddresses()) {
                if ((a.getAddress() instanceof Inet4Address) != v4) {
                    continue;
                }
                addresses.add(address(v4 ? "ipv4" : "ipv6", v4 ? a.getAddress().getHostAddress()
                        : ipv6Text((Inet6Address) a.getAddress()), a.getNetworkPrefixLength()));
            }
        }
        return addresses;
    }

    private static Map<String, Object> address(String type, String text, int prefix) {
        Map<String, Object> address = new LinkedHashMap<>();
        address.put("ip-address-type", type);
        address.put("ip-address", text);
        address.put("prefix", prefix);
        return address;
    }

    /** RFC 5952 text (the longest run of zero groups as ::), without a scope, as inet_ntop writes it. */
    static String ipv6Text(Inet6Address address) {
        byte[] b = address.getAddress();
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8;) {
            if (groups[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = j;
        }
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                text.append("::");
                i += bestLength - 1;
                continue;
            }
            if (text.length() > 0 && text.charAt(text.length() - 1) != ':') {
                text.append(':');
            }
            text.append(Integer.toHexString(groups[i]));
        }
        return text.toString();
    }

    /** The kernel's counters of the interface (what /proc/net/dev shows), or null when it has none. */
    private static Map<String, Object> statistics(String name) {
        Path folder = Path.of("/sys/class/net", name, "statistics");
        String[][] keys = { {"rx-bytes", "rx_bytes"}, {"rx-packets", "rx_packets"}, {"rx-errs", "rx_errors"},
            {"rx-dropped", "rx_dropped"}, {"tx-bytes", "tx_bytes"}, {"tx-packets", "tx_packets"}, {"tx-errs", "tx_errors"},
            {"tx-dropped", "tx_dropped"} };
        Map<String, Object> statistics = new LinkedHashMap<>();
        try {
            for (String[] key : keys) {
                statistics.put(key[0], Long.parseLong(Files.readString(folder.resolve(key[1])).strip()));
            }
        } catch (IOException | NumberFormatException e) {
            return null;
        }
        return statistics;
    }
}
