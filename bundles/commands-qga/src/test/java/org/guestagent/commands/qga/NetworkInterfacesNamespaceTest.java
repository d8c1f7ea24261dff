package org.guestagent.commands.qga;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * guest-network-get-interfaces read inside a network namespace with a veth pair of chosen MACs and
 * addresses (the reading code runs in the namespace, in a JVM of its own), against `ip -j addr` in
 * that namespace and against qemu-ga 7.2 run in the same namespace. Needs root and iproute2.
 */
class NetworkInterfacesNamespaceTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> STATISTICS = List.of("rx-bytes", "rx-dropped", "rx-errs", "rx-packets", "tx-bytes",
            "tx-dropped", "tx-errs", "tx-packets");

    private final String ns = "qga-nic-" + ProcessHandle.current().pid();
    @TempDir
    Path scratch;
    private Process qemuGa;

    private static String run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), String.join(" ", command) + " did not end");
        assertEquals(0, process.exitValue(), String.join(" ", command) + ": " + out);
        return out;
    }

    private String inNamespace(String... command) throws IOException, InterruptedException {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        full.addAll(List.of(command));
        return run(full.toArray(String[]::new));
    }

    @BeforeEach
    void namespace() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "network namespaces need root: skipped");
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/ip")) || Files.isExecutable(Path.of("/sbin/ip")), "iproute2 is missing");
        run("ip", "netns", "add", ns);
        inNamespace("ip", "link", "add", "qv0", "address", "02:00:5e:10:00:01", "type", "veth", "peer", "name", "qv1",
                "address", "02:00:5e:10:00:02");
        inNamespace("ip", "addr", "add", "192.0.2.10/24", "dev", "qv0");
        inNamespace("ip", "addr", "add", "198.51.100.9/25", "dev", "qv0");
        inNamespace("ip", "addr", "add", "2001:db8:0:1::10/64", "dev", "qv0", "nodad");
        inNamespace("ip", "addr", "add", "203.0.113.5/30", "dev", "qv1");
        inNamespace("ip", "link", "set", "lo", "up");
        inNamespace("ip", "link", "set", "qv0", "up");
        inNamespace("ip", "link", "set", "qv1", "up");
    }

    @AfterEach
    void removeNamespace() throws Exception {
        if (qemuGa != null) {
            qemuGa.destroyForcibly().waitFor();
        }
        new ProcessBuilder("ip", "netns", "del", ns).start().waitFor();
    }

    private String ours() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return inNamespace(java, "-cp", System.getProperty("java.class.path"), NetworkInterfacesMain.class.getName()).strip();
    }

    /** name -> "mac addresses..." from `ip -j addr`, addresses as family/address/prefix in the kernel's order per family. */
    private static Map<String, String> fromIp(String ipJson) throws IOException {
        Map<String, String> nics = new TreeMap<>();
        for (JsonNode link : JSON.readTree(ipJson)) {
            List<String> v4 = new ArrayList<>();
            List<String> v6 = new ArrayList<>();
            for (JsonNode a : link.path("addr_info")) {
                String text = a.get("local").asText() + "/" + a.get("prefixlen").asInt();
                (a.get("family").asText().equals("inet") ? v4 : v6).add("ipv" + (a.get("family").asText().equals("inet") ? "4 " : "6 ") + text);
            }
            v4.addAll(v6);
            nics.put(link.get("ifname").asText(), link.path("address").asText("00:00:00:00:00:00") + " " + v4);
        }
        return nics;
    }

    private static Map<String, String> fromAgent(JsonNode answer) {
        Map<String, String> nics = new TreeMap<>();
        for (JsonNode nic : answer) {
            List<String> addresses = new ArrayList<>();
            for (JsonNode a : nic.path("ip-addresses")) {
                addresses.add(a.get("ip-address-type").asText() + " " + a.get("ip-address").asText() + "/" + a.get("prefix").asInt());
            }
            nics.put(nic.get("name").asText(), nic.get("hardware-address").asText() + " " + addresses);
        }
        return nics;
    }

    @Test
    void interfacesMatchIpAddrInTheNamespace() throws Exception {
        // the kernel may still add an address (IPv6 link-local) meanwhile: read until ip agrees before and after
        for (int attempt = 1;; attempt++) {
            String before = inNamespace("ip", "-j", "addr");
            JsonNode agent = JSON.readTree(ours());
            String after = inNamespace("ip", "-j", "addr");
            if (!fromIp(before).equals(fromIp(after))) {
                assertTrue(attempt < 20, "the addresses kept changing: " + after);
                Thread.sleep(500);
                continue;
            }
            Map<String, String> expected = fromIp(after);
            assertEquals(expected, fromAgent(agent));
            assertTrue(expected.get("qv0").startsWith("02:00:5e:10:00:01 [ipv4 192.0.2.10/24, ipv4 198.51.100.9/25, ipv6 2001:db8:0:1::10/64"),
                    "the namespace holds what the test set up: " + expected);
            List<String> order = new ArrayList<>();
            JSON.readTree(after).forEach(link -> order.add(link.get("ifname").asText()));
            List<String> agentOrder = new ArrayList<>();
            agent.forEach(nic -> agentOrder.add(nic.get("name").asText()));
            assertEquals(order, agentOrder, "interfaces in index order");
            for (JsonNode nic : agent) {
                if (nic.has("ip-addresses")) {
                    List<String> names = new ArrayList<>();
                    nic.get("statistics").fieldNames().forEachRemaining(names::add);
                    names.sort(null);
                    assertEquals(STATISTICS, names, nic.get("name") + " statistics");
                    nic.get("statistics").forEach(v -> assertTrue(v.isIntegralNumber() && v.asLong() >= 0, nic.toString()));
                }
            }
            return;
        }
    }

    @Test
    void interfacesMatchQemuGaInTheNamespace() throws Exception {
        Path qemuGaProgram = Path.of("/usr/sbin/qemu-ga");
        assumeTrue(Files.isExecutable(qemuGaProgram), "qemu-ga is missing (Debian package qemu-guest-agent): skipped");
        Path socket = scratch.resolve("qga.sock");
        qemuGa = new ProcessBuilder("ip", "netns", "exec", ns, qemuGaProgram.toString(), "-m", "unix-listen", "-p", socket.toString(),
                "-t", Files.createDirectories(scratch.resolve("state")).toString()).redirectErrorStream(true)
                .redirectOutput(scratch.resolve("qemu-ga.log").toFile()).start();
        for (int attempt = 1;; attempt++) {
            String qemu = askQemuGa(socket, attempt);
            String agent = ours();
            String again = askQemuGa(socket, attempt);
            if (!normalised(qemu).equals(normalised(again))) {
                assertTrue(attempt < 20, "the interfaces kept changing: " + again);
                Thread.sleep(500);
                continue;
            }
            assertEquals(normalised(qemu), normalised(agent));
            return;
        }
    }

    /** Counters set to 0: they move; their names must not. */
    private static String normalised(String answer) throws IOException {
        JsonNode nics = JSON.readTree(answer);
        for (JsonNode nic : nics) {
            if (nic.has("statistics")) {
                ObjectNode statistics = (ObjectNode) nic.get("statistics");
                List<String> names = new ArrayList<>();
                statistics.fieldNames().forEachRemaining(names::add);
                names.forEach(name -> statistics.put(name, 0));
            }
        }
        // member order does not count: through maps written in name order
        return JSON.copy().enable(com.fasterxml.jackson.databind.SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
                .writeValueAsString(JSON.treeToValue(nics, Object.class));
    }

    /** qemu-ga's return value; waits (generously) until it listens. */
    private static String askQemuGa(Path socket, int attempt) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                channel.connect(UnixDomainSocketAddress.of(socket));
                channel.write(ByteBuffer.wrap("{\"execute\":\"guest-network-get-interfaces\"}\n".getBytes(StandardCharsets.UTF_8)));
                StringBuilder line = new StringBuilder();
                ByteBuffer buffer = ByteBuffer.allocate(65536);
                while (line.indexOf("\n") < 0 && channel.read(buffer) >= 0) {
                    buffer.flip();
                    line.append(StandardCharsets.UTF_8.decode(buffer));
                    buffer.clear();
                }
                return JSON.writeValueAsString(JSON.readTree(line.toString()).get("return"));
            } catch (IOException e) {
                assertTrue(System.nanoTime() < deadline, "qemu-ga did not answer on " + socket + " within 30 s: " + e);
                Thread.sleep(100);
            }
        }
    }
}
