package org.guestagent.commands.qga;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InterfaceAddress;
import java.net.NetworkInterface;
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
import org.osgi.service.component.annotations.Component;

/**
 * guest-network-get-interfaces: the running kernel's interfaces in index order, as qemu-ga lists
 * them (getifaddrs): name, hardware address, IPv4 then IPv6 addresses with their prefixes, and,
 * for an interface with addresses, the kernel's counters. Read-only; nothing here changes the guest.
 */
@Component(service = CommandSet.class)
@ServesCommands(commands = "guest-network-get-interfaces", protocols = "qga")
public class QgaNetworkCommands implements CommandSet {

    @Command("guest-network-get-interfaces")
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
        List<Object> result = new ArrayList<>();
        for (Link link : links) {
            NetworkInterface nic;
            try {
                nic = NetworkInterface.getByName(link.name());
            } catch (IOException e) {
                nic = null;
            }
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("name", link.name());
            entry.put("hardware-address", link.mac().isEmpty() ? "00:00:00:00:00:00" : link.mac());
            List<Object> addresses = new ArrayList<>();
            for (boolean v4 : new boolean[] {true, false}) {
                for (InterfaceAddress a : nic == null ? List.<InterfaceAddress>of() : nic.getInterfaceAddresses()) {
                    if ((a.getAddress() instanceof Inet4Address) != v4) {
                        continue;
                    }
                    Map<String, Object> address = new LinkedHashMap<>();
                    address.put("ip-address-type", v4 ? "ipv4" : "ipv6");
                    address.put("ip-address", v4 ? a.getAddress().getHostAddress() : ipv6Text((Inet6Address) a.getAddress()));
                    address.put("prefix", (int) a.getNetworkPrefixLength());
                    addresses.add(address);
                }
            }
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
