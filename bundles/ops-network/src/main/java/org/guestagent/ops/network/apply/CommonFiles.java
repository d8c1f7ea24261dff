package org.guestagent.ops.network.apply;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.guestagent.api.system.GuestFiles;
import org.guestagent.ops.network.IpText;
import org.guestagent.commands.network.spi.IpAddress;
import org.guestagent.commands.network.spi.NetInterface;
import org.guestagent.commands.network.spi.NetworkConfig;
import org.guestagent.commands.network.spi.NetworkPlan;

/** The files every family shares: /etc/hosts, resolv.conf (or its managers), /etc/hostname. */
public final class CommonFiles {

    static final String HOSTS = "/etc/hosts";
    static final String RESOLV_CONF = "/etc/resolv.conf";
    static final String RESOLVCONF_BASE = "/etc/resolvconf/resolv.conf.d/base";
    static final String HOSTNAME = "/etc/hostname";

    private CommonFiles() {
    }

    static void plan(NetworkConfig config, GuestFiles files, NetworkPlan plan) throws IOException {
        if (config.hostname().isPresent()) {
            String hostname = config.hostname().get();
            plan.write(HOSTNAME, hostname + "\n");
            plan.write(HOSTS, hosts(text(files, HOSTS), hostname, firstAddresses(config)));
        }
        if (!config.dns().isEmpty()) {
            planResolver(config.dns(), files, plan);
        }
    }

    /** Each interface's first IPv4 and first IPv6 address. */
    static List<String> firstAddresses(NetworkConfig config) {
        List<String> addresses = new ArrayList<>();
        for (NetInterface nic : config.interfaces()) {
            nic.ipv4().stream().findFirst().map(IpAddress::address).ifPresent(addresses::add);
            nic.ipv6().stream().findFirst().map(IpAddress::address).ifPresent(addresses::add);
        }
        return addresses;
    }

    /**
     * Points the given addresses at the hostname: a line of such an address is replaced (its later
     * duplicates dropped), missing ones are added at the end; every other line stays as it was.
     */
    public static String hosts(String existing, String hostname, List<String> addresses) {
        String names = hostname.contains(".") ? hostname + " " + hostname.substring(0, hostname.indexOf('.')) : hostname;
        Map<String, String> wanted = new LinkedHashMap<>();
        addresses.forEach(a -> wanted.put(a, a + "\t" + names));
        String base = existing != null ? existing : "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n";
        StringBuilder out = new StringBuilder();
        for (String line : base.split("\n", -1)) {
            String address = firstWord(line);
            String normal = address == null ? null : address.contains(":") ? IpText.ipv6(address) : IpText.ipv4(address);
            if (normal != null && wanted.containsKey(normal)) {
                String replacement = wanted.put(normal, null);
                if (replacement != null) {
                    out.append(replacement).append('\n');
                }
            } else {
                out.append(line).append('\n');
            }
        }
        trimTrailingBlankLines(out);
        wanted.values().stream().filter(v -> v != null).forEach(v -> out.append(v).append('\n'));
        return out.toString();
    }

    private static void planResolver(List<String> dns, GuestFiles files, NetworkPlan plan) throws IOException {
        Path resolv = files.resolve(RESOLV_CONF);
        if (Files.isSymbolicLink(resolv) && Files.readSymbolicLink(resolv).toString().contains("systemd/resolve")) {
            return; // systemd-resolved owns it; the backends give it the servers through their own files
        }
        if (Files.isDirectory(files.resolve(RESOLVCONF_BASE).getParent())) {
            plan.write(RESOLVCONF_BASE, nameservers(dns, ""));
            plan.tryRun("resolvconf", "-u");
            return;
        }
        plan.write(RESOLV_CONF, resolvConf(text(files, RESOLV_CONF), dns));
    }

    /** Replaces the nameserver lines (where the first one was), keeping search, domain, options and comments. */
    public static String resolvConf(String existing, List<String> dns) {
        StringBuilder out = new StringBuilder();
        boolean placed = false;
        if (existing != null) {
            for (String line : existing.split("\n")) {
                if ("nameserver".equals(firstWord(line))) {
                    if (!placed) {
                        out.append(nameservers(dns, ""));
                        placed = true;
                    }
                } else if (!line.isBlank()) {
                    out.append(line).append('\n');
                }
            }
        }
        return placed ? out.toString() : nameservers(dns, out.toString());
    }

    private static String nameservers(List<String> dns, String before) {
        StringBuilder out = new StringBuilder(before);
        dns.forEach(server -> out.append("nameserver ").append(server).append('\n'));
        return out.toString();
    }

    /** The first word of a line, or null for a blank or comment line. */
    static String firstWord(String line) {
        String stripped = line.strip();
        if (stripped.isEmpty() || stripped.startsWith("#") || stripped.startsWith(";")) {
            return null;
        }
        return stripped.split("\\s+")[0];
    }

    /** A guest file as text, or null when it does not exist. */
    static String text(GuestFiles files, String guestPath) throws IOException {
        byte[] bytes = files.readIfExists(guestPath);
        return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
    }

    private static void trimTrailingBlankLines(StringBuilder out) {
        while (out.length() >= 2 && out.charAt(out.length() - 1) == '\n' && out.charAt(out.length() - 2) == '\n') {
            out.setLength(out.length() - 1);
        }
    }
}
