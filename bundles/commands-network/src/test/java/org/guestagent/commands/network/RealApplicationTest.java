package org.guestagent.commands.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;

import org.guestagent.api.system.SystemActions.ExecResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The generated configuration applied by the real tools: Debian's ifupdown inside a fresh network
 * namespace with veth NICs of the data's MACs, netplan's generator, and the hostname inside a UTS
 * namespace. Needs root; skips with the reason otherwise.
 */
class RealApplicationTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AtomicInteger NAMESPACES = new AtomicInteger();

    @TempDir
    Path root;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"two-nics", "multiple-addresses", "static-routes", "ipv6"})
    void debianConfigurationIsBroughtUpByRealIfup(String scenario) throws IOException {
        Host.assumeRootWith("ip", "ifup");
        TestGuest guest = Scenario.apply(scenario, new TestGuest(root).os("ID=debian\nVERSION_ID=12\n"));
        guest.resetNetwork();
        Path interfaces = root.resolve("etc/network/interfaces");
        Path state = Files.createDirectories(root.resolve("ifupdown-state"));

        String ns = "ga-test-" + ProcessHandle.current().pid() + "-" + NAMESPACES.incrementAndGet();
        ExecResult add = Host.run("ip", "netns", "add", ns);
        assumeTrue(add.ok(), "cannot create a network namespace here: " + add.stderr().strip());
        try {
            // no duplicate address detection and no link-local addresses: the result is exactly the configuration
            Host.ok("ip", "netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv6.conf.all.accept_dad=0",
                    "net.ipv6.conf.default.accept_dad=0", "net.ipv6.conf.default.addr_gen_mode=1");
            int peer = 0;
            for (Iterator<Map.Entry<String, JsonNode>> it = Scenario.load(scenario).get("nics").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> nic = it.next();
                String peerName = "gapeer" + peer++;
                Host.ok("ip", "-n", ns, "link", "add", nic.getKey(), "address", nic.getValue().asText().toLowerCase(),
                        "type", "veth", "peer", "name", peerName);
                Host.ok("ip", "-n", ns, "link", "set", peerName, "up");
            }
            // --no-scripts: the if-up.d hooks (resolvconf, ...) would act on the host, not the namespace
            Host.ok("ip", "netns", "exec", ns, "ifup", "-i", interfaces.toString(), "--state-dir", state.toString(),
                    "--no-scripts", "-a");

            Expected expected = Expected.of(Scenario.load(scenario));
            assertEquals(expected.addresses, actualAddresses(ns), "addresses (ip -j addr)");
            assertEquals(expected.routes, actualRoutes(ns), "gateway routes (ip -j route, ip -j -6 route)");
        } finally {
            Host.run("ip", "netns", "del", ns);
        }
    }

    @ParameterizedTest(name = "{0} on Ubuntu {1}")
    @CsvSource({"ipv4,22.04", "ipv6,22.04", "dual-stack,24.04", "multiple-addresses,22.04", "two-nics,22.04",
            "static-routes,22.04", "no-dns,22.04", "two-nics,20.04", "dual-stack,18.04"})
    void netplanOutputPassesRealNetplanGenerate(String scenario, String version) throws IOException {
        Host.assumeRootWith("netplan");
        TestGuest guest = Scenario.apply(scenario, new TestGuest(root).os("ID=ubuntu\nVERSION_ID=\"" + version + "\"\n"));
        guest.resetNetwork();
        ExecResult result = Host.run("netplan", "generate", "--root-dir", root.toString());
        assertEquals(0, result.exitCode(), "netplan generate: " + result.stderr());
        assertTrue(!result.stderr().contains("ERROR"), result.stderr());

        assertEquals(Expected.of(Scenario.load(scenario)).addresses, generatedAddresses(), "Address= lines netplan generated");
    }

    @Test
    void netplanFilesDefiningTheSameNicAreRemovedSoNetplanDoesNotMergeThem() throws IOException {
        Host.assumeRootWith("netplan");
        TestGuest guest = Scenario.apply("ipv4", new TestGuest(root).os("ID=ubuntu\nVERSION_ID=\"22.04\"\n"))
                .file("/etc/netplan/50-cloud-init.yaml", "network:\n  version: 2\n  ethernets:\n    eth0:\n"
                        + "      dhcp4: true\n      addresses: [\"10.9.9.9/24\"]\n")
                .file("/etc/netplan/60-other.yaml", "network:\n  version: 2\n  ethernets:\n    eth5:\n      dhcp4: true\n");
        guest.resetNetwork();
        ExecResult result = Host.run("netplan", "generate", "--root-dir", root.toString());
        assertEquals(0, result.exitCode(), "netplan generate: " + result.stderr());
        assertEquals(Map.of("eth0", Set.of("192.0.2.42/24"), "eth5", Set.of()), generatedAddresses());
        assertTrue(guest.tree().keySet().stream().anyMatch(p -> p.startsWith("/var/lib/guest-agent/backup/network/")
                && p.endsWith("/etc/netplan/50-cloud-init.yaml")), "the removed file is kept as a backup");
    }

    /** Interface to the Address= values of the .network files netplan generated below the root. */
    private Map<String, Set<String>> generatedAddresses() throws IOException {
        Map<String, Set<String>> addresses = new TreeMap<>();
        try (java.util.stream.Stream<Path> list = Files.list(root.resolve("run/systemd/network"))) {
            for (Path file : list.filter(f -> f.toString().endsWith(".network")).toList()) {
                String name = file.getFileName().toString().replaceAll("^10-netplan-(.*)\\.network$", "$1");
                Set<String> set = addresses.computeIfAbsent(name, n -> new TreeSet<>());
                Files.readAllLines(file).stream().filter(l -> l.startsWith("Address=")).forEach(l -> set.add(l.substring(8)));
            }
        }
        return addresses;
    }

    /**
     * A guest on DHCP: ifup ran dhclient with a pid file under /run. The Debian plan's dhclient
     * steps, run in the namespace, stop it (ifdown with the new, static stanza would not). The NIC
     * has a name of its own, so the pid file cannot be one of the host's.
     */
    @Test
    void debianPlanStopsTheDhcpClientOfTheOldConfiguration() throws Exception {
        Host.assumeRootWith("ip", "dhclient");
        String nic = "gadh" + ProcessHandle.current().pid() % 100_000;
        Path pidFile = Path.of("/run/dhclient." + nic + ".pid");
        String ns = "ga-test-" + ProcessHandle.current().pid() + "-" + NAMESPACES.incrementAndGet();
        ExecResult add = Host.run("ip", "netns", "add", ns);
        assumeTrue(add.ok(), "cannot create a network namespace here: " + add.stderr().strip());
        long dhclient = -1;
        try {
            Host.ok("ip", "-n", ns, "link", "add", nic, "type", "veth", "peer", "name", "gapeer0");
            Host.ok("ip", "-n", ns, "link", "set", nic, "up");
            // as ifupdown starts it for "inet dhcp" (-nw: in the background at once, as after a lease)
            Host.ok("ip", "netns", "exec", ns, "dhclient", "-4", "-nw", "-pf", pidFile.toString(),
                    "-lf", root.resolve("leases").toString(), nic);
            long written = System.nanoTime() + 5_000_000_000L; // the daemon writes it once it has forked
            while (!(Files.exists(pidFile) && !Files.readString(pidFile).isBlank()) && System.nanoTime() < written) {
                Thread.sleep(20);
            }
            dhclient = Long.parseLong(Files.readString(pidFile).strip());
            assertTrue(running(dhclient), "dhclient runs before the plan");

            for (java.util.List<String> stop : org.guestagent.ops.network.backends.DebianInterfacesBackend.stopDhcpClients(nic)) {
                java.util.List<String> inNamespace = new java.util.ArrayList<>(java.util.List.of("ip", "netns", "exec", ns));
                inNamespace.addAll(stop);
                Host.run(inNamespace.toArray(String[]::new));
            }
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (running(dhclient) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(!running(dhclient), "dhclient " + dhclient + " still runs after the plan's dhclient steps");
        } finally {
            if (dhclient > 0 && running(dhclient)) {
                ProcessHandle.of(dhclient).ifPresent(ProcessHandle::destroyForcibly);
            }
            Files.deleteIfExists(pidFile);
            Host.run("ip", "netns", "del", ns);
        }
    }

    /** Alive and not a zombie (a stopped daemon waits to be reaped by init for a moment). */
    private static boolean running(long pid) throws IOException {
        Path stat = Path.of("/proc/" + pid + "/stat");
        if (!Files.exists(stat)) {
            return false;
        }
        String text = Files.readString(stat);
        return !text.substring(text.lastIndexOf(')') + 2).startsWith("Z");
    }

    @Test
    void hostnameIsSetByTheAgentInsideAUtsNamespace() throws IOException {
        Host.assumeRootWith("unshare", "hostname");
        String before = Host.ok("hostname").strip();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ExecResult result = Host.run("unshare", "--uts", java, "-cp", System.getProperty("java.class.path"),
                HostnameInNamespace.class.getName(), root.toString());
        assertEquals(0, result.exitCode(), result.stdout() + result.stderr());
        assertEquals("uts-test-host", result.stdout().strip(), "hostname read back inside the namespace");
        assertEquals("uts-test-host\n", Files.readString(root.resolve("etc/hostname")));
        assertEquals(before, Host.ok("hostname").strip(), "the machine's own hostname is untouched");
        assertNotEquals("uts-test-host", before);
    }

    private static Map<String, Set<String>> actualAddresses(String ns) throws IOException {
        Map<String, Set<String>> addresses = new TreeMap<>();
        for (JsonNode link : JSON.readTree(Host.ok("ip", "-n", ns, "-j", "addr", "show"))) {
            String name = link.get("ifname").asText();
            if (name.equals("lo") || name.startsWith("gapeer")) {
                continue;
            }
            Set<String> set = addresses.computeIfAbsent(name, n -> new TreeSet<>());
            link.get("addr_info").forEach(a -> set.add(a.get("local").asText() + "/" + a.get("prefixlen").asInt()));
        }
        return addresses;
    }

    /** Every route through a gateway, as "destination via gateway dev name". */
    private static Set<String> actualRoutes(String ns) throws IOException {
        Set<String> routes = new TreeSet<>();
        for (String family : new String[] {"-4", "-6"}) {
            for (JsonNode route : JSON.readTree(Host.ok("ip", "-n", ns, "-j", family, "route", "show"))) {
                if (route.has("gateway")) {
                    routes.add(route.get("dst").asText() + " via " + route.get("gateway").asText() + " dev " + route.get("dev").asText());
                } else {
                    assertEquals("kernel", route.path("protocol").asText(), "unexpected route " + route);
                }
            }
        }
        return routes;
    }

    /** What the scenario asks for, worked out from its JSON alone. */
    private record Expected(Map<String, Set<String>> addresses, Set<String> routes) {
        static Expected of(JsonNode scenario) {
            Map<String, String> nameOfMac = new TreeMap<>();
            scenario.get("nics").fields().forEachRemaining(e -> nameOfMac.put(e.getValue().asText().toLowerCase(), e.getKey()));
            Map<String, Set<String>> addresses = new TreeMap<>();
            Set<String> routes = new TreeSet<>();
            for (JsonNode node : scenario.get("networking")) {
                String dev = nameOfMac.get(node.get("mac").asText().toLowerCase());
                Set<String> set = addresses.computeIfAbsent(dev, n -> new TreeSet<>());
                for (JsonNode ip : node.path("ips")) {
                    if (!ip.path("enabled").asText("1").equals("0")) {
                        set.add(ip.get("ip").asText() + "/" + prefixOf(ip.get("netmask").asText()));
                        addDefault(routes, ip.path("gateway"), dev);
                    }
                }
                for (JsonNode ip : node.path("ip6s")) {
                    if (!ip.path("enabled").asText("1").equals("0")) {
                        set.add(ip.get("ip").asText() + "/" + ip.get("netmask").asText());
                        addDefault(routes, ip.path("gateway"), dev);
                    }
                }
                addDefault(routes, node.path("gateway"), dev);
                addDefault(routes, node.path("gateway_v6"), dev);
                for (JsonNode route : node.path("routes")) {
                    String mask = route.get("netmask").asText();
                    String prefix = mask.contains(".") ? String.valueOf(prefixOf(mask)) : mask;
                    routes.add(route.get("route").asText() + "/" + prefix + " via " + route.get("gateway").asText() + " dev " + dev);
                }
            }
            return new Expected(addresses, routes);
        }

        private static void addDefault(Set<String> routes, JsonNode gateway, String dev) {
            if (gateway.isTextual() && !gateway.asText().isEmpty()) {
                routes.add("default via " + gateway.asText() + " dev " + dev);
            }
        }

        private static int prefixOf(String netmask) {
            int bits = 0;
            for (String octet : netmask.split("\\.")) {
                bits += Integer.bitCount(Integer.parseInt(octet));
            }
            return bits;
        }
    }
}
