package org.guestagent.commands.network;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import org.guestagent.api.command.CommandException;
import org.guestagent.api.hostdata.HostData;
import org.guestagent.commands.network.spi.IpAddress;
import org.guestagent.commands.network.spi.NetInterface;
import org.guestagent.commands.network.spi.NetworkConfig;
import org.guestagent.commands.network.spi.Route;
import org.guestagent.ops.facts.Macs;
import org.guestagent.ops.network.IpText;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Reads {@code hostname} and {@code networking/*} from the host data of the request's exchange, checks every field and builds
 * the model. Any problem is a {@link CommandException} naming the node, interface and key, thrown
 * before anything is changed.
 */
final class NetworkDataReader {

    static final String HOSTNAME_PATH = HostData.HOSTNAME;
    static final String NETWORKING_PATH = HostData.NETWORKING;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern HOSTNAME = Pattern.compile(
            "(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\\.?");

    private NetworkDataReader() {
    }

    /**
     * @param nics the guest's NICs, MAC (lower case) to interface name
     */
    static NetworkConfig read(HostData hostData, Map<String, String> nics) throws IOException {
        Optional<String> hostname = hostData.read(HOSTNAME_PATH).map(String::strip).filter(h -> !h.isEmpty());
        if (hostname.isPresent() && !HOSTNAME.matcher(hostname.get()).matches()) {
            throw new CommandException("The hostname '" + hostname.get() + "' in " + hostData.where(HOSTNAME_PATH)
                    + " is not a valid hostname");
        }
        List<String> nodes = hostData.children(NETWORKING_PATH);
        if (nodes.isEmpty()) {
            throw new CommandException("There is no network data in " + hostData.where(NETWORKING_PATH));
        }
        List<NetInterface> interfaces = new ArrayList<>();
        Map<String, String> nodeOfMac = new LinkedHashMap<>();
        for (String node : nodes.stream().sorted().toList()) {
            String path = NETWORKING_PATH + "/" + node;
            String text = hostData.read(path).orElse("");
            NetInterface nic = new InterfaceReader(hostData.where(path), text, nics).read();
            String earlier = nodeOfMac.put(nic.mac(), hostData.where(path));
            if (earlier != null) {
                throw new CommandException("Network data " + earlier + " and " + hostData.where(path) + " both configure MAC "
                        + nic.mac());
            }
            interfaces.add(nic);
        }
        interfaces.sort(Comparator.comparing(NetInterface::name));
        requireOneDefaultGateway(interfaces, "IPv4", NetInterface::gateway4);
        requireOneDefaultGateway(interfaces, "IPv6", NetInterface::gateway6);
        Set<String> dns = new LinkedHashSet<>();
        interfaces.forEach(i -> dns.addAll(i.dns()));
        return new NetworkConfig(hostname.map(h -> h.endsWith(".") ? h.substring(0, h.length() - 1) : h),
                interfaces, List.copyOf(dns), nics);
    }

    private static void requireOneDefaultGateway(List<NetInterface> interfaces, String family,
            java.util.function.Function<NetInterface, String> gateway) {
        List<String> seen = new ArrayList<>();
        for (NetInterface nic : interfaces) {
            if (gateway.apply(nic) != null) {
                seen.add(gateway.apply(nic) + " (" + nic.name() + ")");
            }
        }
        if (seen.size() > 1) {
            throw new CommandException("More than one " + family + " default gateway: " + String.join(" and ", seen));
        }
    }

    /** Reads one interface node. */
    private static final class InterfaceReader {
        private final String path;
        private final String text;
        private final Map<String, String> nics;
        private String where;

        InterfaceReader(String path, String text, Map<String, String> nics) {
            this.path = path;
            this.text = text;
            this.nics = nics;
            this.where = "Network data " + path;
        }

        NetInterface read() {
            JsonNode root;
            try {
                root = JSON.readTree(text);
            } catch (JsonProcessingException e) {
                root = null;
            }
            if (root == null || !root.isObject()) {
                throw fail(" is not a JSON object");
            }
            String macText = optionalText(root, "mac", "");
            if (macText == null) {
                throw fail(" has no 'mac' key");
            }
            String mac = Macs.normalise(macText);
            if (mac == null) {
                throw fail(": 'mac' " + macText + " is not a MAC address");
            }
            String name = nics.get(mac);
            if (name == null) {
                throw fail(": no network interface of this guest has MAC " + mac);
            }
            where = where + " (" + name + ")";
            String label = Optional.ofNullable(optionalText(root, "label", "")).orElse("");

            List<IpAddress> ipv4 = new ArrayList<>();
            Set<String> gateways4 = new LinkedHashSet<>();
            addIfPresent(gateways4, gateway(root, "gateway", false, ""));
            for (JsonNode entry : entries(root, "ips")) {
                String at = "ips[" + entry.get("#").asInt() + "]";
                JsonNode ip = entry.get("value");
                if (!enabled(ip, at)) {
                    continue;
                }
                String address = IpText.ipv4(required(ip, "ip", at));
                if (address == null) {
                    throw fail(": 'ip' " + ip.get("ip").asText() + " of " + at + " is not an IPv4 address");
                }
                ipv4.add(new IpAddress(address, ipv4Prefix(ip, at)));
                addIfPresent(gateways4, gateway(ip, "gateway", false, at));
            }
            List<IpAddress> ipv6 = new ArrayList<>();
            Set<String> gateways6 = new LinkedHashSet<>();
            addIfPresent(gateways6, gateway(root, "gateway_v6", true, ""));
            for (JsonNode entry : entries(root, "ip6s")) {
                String at = "ip6s[" + entry.get("#").asInt() + "]";
                JsonNode ip = entry.get("value");
                if (!enabled(ip, at)) {
                    continue;
                }
                String address = IpText.ipv6(required(ip, "ip", at));
                if (address == null) {
                    throw fail(": 'ip' " + ip.get("ip").asText() + " of " + at + " is not an IPv6 address");
                }
                ipv6.add(new IpAddress(address, ipv6Prefix(ip, "netmask", at)));
                addIfPresent(gateways6, gateway(ip, "gateway", true, at));
            }
            if (ipv4.isEmpty() && ipv6.isEmpty()) {
                throw fail(" has no enabled address in 'ips' or 'ip6s'");
            }
            if (gateways4.size() > 1 || gateways6.size() > 1) {
                throw fail(" names more than one default gateway: "
                        + String.join(" and ", gateways4.size() > 1 ? gateways4 : gateways6));
            }
            return new NetInterface(name, mac, label, ipv4, ipv6,
                    gateways4.isEmpty() || ipv4.isEmpty() ? null : gateways4.iterator().next(),
                    gateways6.isEmpty() || ipv6.isEmpty() ? null : gateways6.iterator().next(),
                    routes(root), dns(root));
        }

        private List<Route> routes(JsonNode root) {
            List<Route> routes = new ArrayList<>();
            for (JsonNode entry : entries(root, "routes")) {
                String at = "routes[" + entry.get("#").asInt() + "]";
                JsonNode route = entry.get("value");
                String network = required(route, "route", at);
                String via = required(route, "gateway", at);
                required(route, "netmask", at);
                Route r;
                if (IpText.ipv4(network) != null) {
                    r = new Route(IpText.ipv4(network), ipv4Prefix(route, at), checked4(via, "gateway", at));
                } else if (IpText.ipv6(network) != null) {
                    r = new Route(IpText.ipv6(network), ipv6Prefix(route, "netmask", at), checked6(via, "gateway", at));
                } else {
                    throw fail(": 'route' " + network + " of " + at + " is not an IP network address");
                }
                if (!IpText.isNetwork(r.network(), r.prefix())) {
                    throw fail(": 'route' " + network + " of " + at + " has host bits set beyond its netmask");
                }
                routes.add(r);
            }
            return routes;
        }

        private List<String> dns(JsonNode root) {
            List<String> servers = new ArrayList<>();
            JsonNode dns = root.get("dns");
            if (dns == null || dns.isNull()) {
                return servers;
            }
            if (!dns.isArray()) {
                throw fail(": 'dns' is not a list");
            }
            for (int i = 0; i < dns.size(); i++) {
                String server = dns.get(i).asText("").strip();
                String normal = IpText.ipv4(server) != null ? IpText.ipv4(server) : IpText.ipv6(server);
                if (normal == null) {
                    throw fail(": 'dns' entry " + dns.get(i) + " is not an IP address");
                }
                servers.add(normal);
            }
            return servers;
        }

        /** The members of an optional list, each as {"#": index, "value": member}. */
        private List<JsonNode> entries(JsonNode root, String key) {
            JsonNode list = root.get(key);
            List<JsonNode> result = new ArrayList<>();
            if (list == null || list.isNull()) {
                return result;
            }
            if (!list.isArray()) {
                throw fail(": '" + key + "' is not a list");
            }
            for (int i = 0; i < list.size(); i++) {
                if (!list.get(i).isObject()) {
                    throw fail(": " + key + "[" + i + "] is not a JSON object");
                }
                result.add(JSON.createObjectNode().put("#", i).set("value", list.get(i)));
            }
            return result;
        }

        private boolean enabled(JsonNode ip, String at) {
            JsonNode enabled = ip.get("enabled");
            if (enabled == null || enabled.isNull()) {
                return true; // hosts that leave it out mean every listed address
            }
            String value = enabled.isBoolean() ? (enabled.asBoolean() ? "1" : "0") : enabled.asText().strip();
            return switch (value) {
                case "1" -> true;
                case "0" -> false;
                default -> throw fail(": 'enabled' " + enabled + " of " + at + " is neither 0 nor 1");
            };
        }

        private int ipv4Prefix(JsonNode node, String at) {
            JsonNode netmask = node.get("netmask");
            String text = required(node, "netmask", at);
            int prefix = netmask.isIntegralNumber() || text.matches("\\d{1,2}")
                    ? Integer.parseInt(text) : IpText.prefixOfNetmask(text);
            if (prefix < 0 || prefix > 32) {
                throw fail(": 'netmask' " + text + " of " + at + " is not a valid netmask");
            }
            return prefix;
        }

        private int ipv6Prefix(JsonNode node, String key, String at) {
            String text = required(node, key, at);
            int prefix = text.matches("\\d{1,3}") ? Integer.parseInt(text) : -1;
            if (prefix < 0 || prefix > 128) {
                throw fail(": '" + key + "' " + text + " of " + at + " is not an IPv6 prefix length (0 to 128)");
            }
            return prefix;
        }

        private String gateway(JsonNode node, String key, boolean ipv6, String at) {
            String text = optionalText(node, key, at);
            if (text == null || text.isBlank()) {
                return null; // hosts send "" or null for a network without a gateway
            }
            return ipv6 ? checked6(text, key, at) : checked4(text, key, at);
        }

        private String checked4(String text, String key, String at) {
            String address = IpText.ipv4(text);
            if (address == null) {
                throw fail(": '" + key + "' " + text + of(at) + " is not an IPv4 address");
            }
            return address;
        }

        private String checked6(String text, String key, String at) {
            String address = IpText.ipv6(text);
            if (address == null) {
                throw fail(": '" + key + "' " + text + of(at) + " is not an IPv6 address");
            }
            return address;
        }

        private String required(JsonNode node, String key, String at) {
            String text = optionalText(node, key, at);
            if (text == null || text.isBlank()) {
                throw fail(": " + at + " has no '" + key + "' key");
            }
            return text.strip();
        }

        /** A scalar member as text, or null when absent or null. */
        private String optionalText(JsonNode node, String key, String at) {
            JsonNode value = node.get(key);
            if (value == null || value.isNull()) {
                return null;
            }
            if (!value.isValueNode()) {
                throw fail(": '" + key + "'" + of(at) + " is not a single value");
            }
            return value.asText();
        }

        private static String of(String at) {
            return at.isEmpty() ? "" : " of " + at;
        }

        private CommandException fail(String problem) {
            return new CommandException(where + problem);
        }

        private static void addIfPresent(Set<String> set, String value) {
            if (value != null) {
                set.add(value);
            }
        }
    }
}
