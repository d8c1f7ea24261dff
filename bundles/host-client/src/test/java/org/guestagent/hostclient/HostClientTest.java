package org.guestagent.hostclient;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.guestagent.xenstore.XenStoreClient;
import org.guestagent.xenstore.XenStoreTransport;
import org.guestagent.xenstore.simulator.XenStoreSimulator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The host client against the simulator, with a small stand-in agent on the guest side. */
class HostClientTest {

    @TempDir
    Path dir;
    Path socket;
    XenStoreSimulator simulator;
    XenStoreClient guest;
    Thread agent;
    volatile boolean agentRunning = true;
    volatile String features = "version,features,keyinit,password,file_inject,injectfile,resetnetwork";
    final Map<String, JsonNode> received = new ConcurrentHashMap<>();
    final ObjectMapper json = new ObjectMapper();
    BigInteger agentPrivate = new BigInteger(128, new SecureRandom());
    volatile String decryptedPassword;
    volatile KeyExchange.Kdf passwordKdf;
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeEach
    void start() throws IOException {
        socket = dir.resolve("xenstored.sock");
        simulator = new XenStoreSimulator(4, null).start(socket);
        guest = XenStoreClient.open(XenStoreTransport.unixSocket(socket));
        agent = new Thread(this::agentLoop, "stand-in-agent");
        agent.setDaemon(true);
        agent.start();
    }

    @AfterEach
    void stop() throws InterruptedException {
        agentRunning = false;
        agent.join(5000);
        guest.close();
        simulator.stop();
    }

    /** Answers requests under data/host like an agent would, well enough for the client. */
    private void agentLoop() {
        while (agentRunning) {
            try {
                for (String id : guest.directory("data/host")) {
                    Optional<byte[]> body = guest.readIfExists("data/host/" + id);
                    if (body.isEmpty()) {
                        continue;
                    }
                    JsonNode request = json.readTree(body.get());
                    String name = request.path("name").asText();
                    received.put(name, request.path("value"));
                    String[] answer = answer(name, request.path("value"));
                    guest.rm("data/host/" + id);
                    guest.write("data/guest/" + id, json.writeValueAsBytes(Map.of("returncode", answer[0], "message", answer[1])));
                }
                Thread.sleep(5);
            } catch (IOException e) {
                // no data/host yet
                sleepQuietly();
            } catch (Exception e) {
                return;
            }
        }
    }

    private String[] answer(String name, JsonNode value) throws Exception {
        switch (name) {
            case "version":
                return new String[] {"0", "1.2.3"};
            case "features":
                return new String[] {"0", features};
            case "keyinit":
                return new String[] {"D0", KeyExchange.GENERATOR.modPow(agentPrivate, KeyExchange.PRIME).toString()};
            case "password": {
                BigInteger hostPublic = new BigInteger(received.get("keyinit").asText());
                byte[] secret = hostPublic.modPow(agentPrivate, KeyExchange.PRIME).toString().getBytes(StandardCharsets.US_ASCII);
                byte[] encrypted = Base64.getDecoder().decode(value.asText());
                for (KeyExchange.Kdf kdf : KeyExchange.Kdf.values()) {
                    byte[] key;
                    byte[] iv;
                    if (kdf == KeyExchange.Kdf.MD5) {
                        MessageDigest md5 = MessageDigest.getInstance("MD5");
                        key = md5.digest(secret);
                        md5.update(key);
                        iv = md5.digest(secret);
                    } else {
                        byte[] digest = MessageDigest.getInstance("SHA-256").digest(secret);
                        key = java.util.Arrays.copyOf(digest, 16);
                        iv = java.util.Arrays.copyOfRange(digest, 16, 32);
                    }
                    Cipher c = Cipher.getInstance("AES/CBC/PKCS5Padding");
                    c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"), new IvParameterSpec(iv));
                    try {
                        String plain = new String(c.doFinal(encrypted), StandardCharsets.UTF_8);
                        if (plain.endsWith("\n")) {
                            decryptedPassword = plain;
                            passwordKdf = kdf;
                            return new String[] {"0", ""};
                        }
                    } catch (javax.crypto.BadPaddingException e) {
                        // the other derivation, then
                    }
                }
                return new String[] {"500", "Invalid password data received"};
            }
            case "file_inject":
            case "injectfile":
            case "resetnetwork":
            case "agentupdate":
                return new String[] {"0", ""};
            default:
                return new String[] {"404", "No such agent command '" + name + "'"};
        }
    }

    private static void sleepQuietly() {
        try {
            Thread.sleep(10);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private int run(String... args) {
        String[] all = new String[args.length + 4];
        all[0] = "--socket";
        all[1] = socket.toString();
        all[2] = "--domid";
        all[3] = "4";
        System.arraycopy(args, 0, all, 4, args.length);
        return new HostClient(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                Map.of()).run(all);
    }

    private String output() {
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void versionPrintsCodeAndMessageAndCleansUp() throws IOException {
        assertEquals(0, run("version"));
        assertEquals("0 1.2.3\n", output());
        assertEquals("agent", received.get("version").asText());
        assertEquals(List.of(), guest.directory("data/guest"), "the client removes the answer it read");
    }

    @Test
    void passwordDoesKeyinitAndEncryptsLikeTheHost() {
        assertEquals(0, run("password", "s3cret pass"));
        assertEquals("0 \n", output());
        assertEquals("s3cret pass\n", decryptedPassword);
        assertEquals(KeyExchange.Kdf.SHA256, passwordKdf, "the default is what nova on OpenSSL 1.1.0 or later sends");
        assertTrue(received.get("keyinit").isTextual(), "keyinit value is a decimal string");

        assertEquals(0, run("--kdf", "md5", "password", "old-host pass"));
        assertEquals("old-host pass\n", decryptedPassword);
        assertEquals(KeyExchange.Kdf.MD5, passwordKdf);
        assertEquals(0, run("--kdf", "sha256", "password", "new-host pass"));
        assertEquals(KeyExchange.Kdf.SHA256, passwordKdf);
        assertEquals(HostClient.EXIT_USAGE, run("--kdf", "sha1", "password", "x"));
        assertEquals("guest-agent-client: --kdf must be md5 or sha256, not 'sha1' (see guest-agent-client --help)\n", errors());
    }

    @Test
    void encryptionMatchesOpenssl() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")), "openssl is missing: install the Debian package openssl");
        KeyExchange host = new KeyExchange(new SecureRandom());
        String agentPublic = KeyExchange.GENERATOR.modPow(agentPrivate, KeyExchange.PRIME).toString();
        String secret = new BigInteger(host.publicKey()).modPow(agentPrivate, KeyExchange.PRIME).toString();
        // OpenSSL 3 without -md derives with SHA-256, as nova's command does
        assertEquals("p4ss\n", opensslDecrypt(host.encrypt("p4ss", agentPublic, KeyExchange.Kdf.SHA256), secret));
        assertEquals("p4ss\n", opensslDecrypt(host.encrypt("p4ss", agentPublic, KeyExchange.Kdf.MD5), secret, "-md", "md5"));
    }

    private static String opensslDecrypt(String base64, String secret, String... more) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("/usr/bin/openssl", "enc", "-d", "-aes-128-cbc", "-a", "-A",
                "-nosalt", "-pass", "pass:" + secret));
        command.addAll(List.of(more));
        Process p = new ProcessBuilder(command).start();
        p.getOutputStream().write(base64.getBytes(StandardCharsets.US_ASCII));
        p.getOutputStream().close();
        assertTrue(p.waitFor(10, TimeUnit.SECONDS));
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    @Test
    void injectfileUsesFileInjectWhenTheAgentOffersIt() throws IOException {
        Path local = Files.write(dir.resolve("motd"), new byte[] {'h', 'i', ',', 0, (byte) 0xff});
        assertEquals(0, run("injectfile", "/etc/motd", local.toString()));
        JsonNode value = received.get("file_inject");
        assertEquals("/etc/motd", new String(Base64.getDecoder().decode(value.path("b64_path").asText()), StandardCharsets.UTF_8));
        assertEquals(List.of((byte) 'h', (byte) 'i', (byte) ',', (byte) 0, (byte) 0xff),
                bytes(Base64.getDecoder().decode(value.path("b64_file").asText())));
        assertTrue(received.containsKey("features"));
        assertTrue(!received.containsKey("injectfile"));
    }

    @Test
    void injectfileFallsBackToInjectfile() throws IOException {
        features = "version,features,injectfile";
        Path local = Files.writeString(dir.resolve("f"), "a,b");
        assertEquals(0, run("injectfile", "/root/f", local.toString()));
        assertEquals("/root/f,a,b", new String(Base64.getDecoder().decode(received.get("injectfile").asText()), StandardCharsets.UTF_8));
    }

    @Test
    void resetnetworkLoadsTheNetworkingFileIntoVmData() throws IOException {
        guest.write("vm-data/networking/OLD", "{}");
        Path file = Files.writeString(dir.resolve("net.json"), "{\"hostname\": \"web1\", \"interfaces\": ["
                + "{\"label\": \"public\", \"mac\": \"DE:AD:BE:EF:00:01\", \"ips\": [{\"ip\": \"192.0.2.42\", "
                + "\"netmask\": \"255.255.255.0\", \"enabled\": \"1\"}]}]}");
        assertEquals(0, run("resetnetwork", "--networking", file.toString()));
        assertEquals("web1", guest.readString("vm-data/hostname"));
        assertEquals(List.of("DEADBEEF0001"), guest.directory("vm-data/networking"));
        JsonNode nic = json.readTree(guest.read("vm-data/networking/DEADBEEF0001"));
        assertEquals("192.0.2.42", nic.path("ips").path(0).path("ip").asText());
        assertEquals("", received.get("resetnetwork").asText());
    }

    @Test
    void agentupdateAndRaw() {
        assertEquals(0, run("agentupdate", "http://127.0.0.1/a.tgz", "d41d8cd98f00b204e9800998ecf8427e"));
        assertEquals("http://127.0.0.1/a.tgz,d41d8cd98f00b204e9800998ecf8427e", received.get("agentupdate").asText());
        assertEquals(HostClient.EXIT_ERROR_ANSWER, run("raw", "nosuch", "{\"x\": 1}"));
        assertTrue(output().endsWith("404 No such agent command 'nosuch'\n"), output());
        assertEquals(1, received.get("nosuch").path("x").asInt());
    }

    @Test
    void timeoutRemovesTheRequestAndExitsNonZero() throws Exception {
        agentRunning = false;
        agent.join(5000);
        assertEquals(HostClient.EXIT_TIMEOUT, run("--timeout", "1", "version"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("did not answer 'version' within 1 s"));
        assertEquals(List.of(), guest.directory("data/host"), "the request is withdrawn");
    }

    @Test
    void errorsAreOneLineWithAPointerToHelpAndUnknownOptionsAreCalledOptions() {
        assertEquals(HostClient.EXIT_USAGE, run("--foo", "version"));
        assertEquals("guest-agent-client: unknown option '--foo' (see guest-agent-client --help)\n", errors());
        err.reset();
        assertEquals(HostClient.EXIT_USAGE, run("frobnicate"));
        assertEquals("guest-agent-client: unknown command 'frobnicate' (see guest-agent-client --help)\n", errors());
        err.reset();
        assertEquals(HostClient.EXIT_USAGE, run("--domid", "seven", "version"));
        assertEquals("guest-agent-client: --domid needs a number, not 'seven' (see guest-agent-client --help)\n", errors());
        err.reset();
        assertEquals(HostClient.EXIT_USAGE, run("version", "extra"));
        assertEquals("guest-agent-client: expected: version (see guest-agent-client --help)\n", errors());
        assertEquals(0, run("--help"));
        assertTrue(output().contains("--kdf K"), output());
        assertTrue(received.isEmpty(), "nothing was sent: " + received.keySet());
    }

    @Test
    @org.junit.jupiter.api.Timeout(value = 60, unit = TimeUnit.SECONDS) // the client must not wait its --timeout of 600 s
    void aDomainWithoutAHomeFailsAtOnceAndSaysSo() throws IOException {
        String[] args = {"--socket", socket.toString(), "--domid", "7", "--timeout", "600", "version"};
        int status = new HostClient(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                Map.of()).run(args);
        assertEquals(HostClient.EXIT_NO_AGENT, status);
        assertEquals("guest-agent-client: no agent can answer: there is no domain 7 in XenStore at " + socket
                + " (no /local/domain/7); check --domid\n", errors());
        assertTrue(guest.readIfExists("/local/domain/7").isEmpty(), "nothing was written for domain 7");
    }

    @Test
    @org.junit.jupiter.api.Timeout(value = 60, unit = TimeUnit.SECONDS) // the client must not wait its --timeout of 600 s
    void aDomainWhereNothingEverAnsweredFailsAfterAShortWaitAndSaysSo() throws Exception {
        agentRunning = false;
        agent.join(5000);
        assertEquals(HostClient.EXIT_NO_AGENT, run("--timeout", "600", "version"));
        assertEquals("guest-agent-client: nothing answered 'version' within " + AgentCaller.FIRST_CONTACT.toSeconds()
                + " s, and nothing has ever answered in domain 4 (no /local/domain/4/data/guest; no data/host before this request):"
                + " no agent runs in that guest, or --domid is wrong\n", errors());
        assertEquals(List.of(), guest.directory("data/host"), "the request is withdrawn");
    }

    @Test
    void answersWithEscapesAreReadUnescaped() throws Exception {
        agentRunning = false;
        agent.join(5000);
        Thread answerer = new Thread(() -> {
            try {
                while (true) {
                    List<String> ids = guest.readIfExists("data/host").isPresent() ? guest.directory("data/host") : List.of();
                    if (!ids.isEmpty()) {
                        guest.rm("data/host/" + ids.get(0));
                        // as the agent writes it: printable ASCII, quote, backslash and non-ASCII as escapes
                        guest.write("data/guest/" + ids.get(0),
                                "{\"returncode\":\"500\",\"message\":\"The path /caf\\u00E9 \\u0022x\\u0022 \\u005C is a folder\"}");
                        return;
                    }
                    Thread.sleep(5);
                }
            } catch (Exception e) {
                // the test fails on the missing answer
            }
        });
        guest.mkdir("data/guest");
        answerer.start();
        assertEquals(HostClient.EXIT_ERROR_ANSWER, run("version"));
        assertEquals("500 The path /café \"x\" \\ is a folder\n", output());
        answerer.join(5000);
    }

    private String errors() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void usageAndUnreachableXenStore() {
        assertEquals(HostClient.EXIT_USAGE, run());
        assertEquals(HostClient.EXIT_USAGE, run("frobnicate"));
        assertEquals(HostClient.EXIT_USAGE, run("raw", "x", "{not json"));
        int status = new HostClient(new PrintStream(out), new PrintStream(err), Map.of("XENSTORED_PATH", dir.resolve("none").toString()))
                .run(new String[] {"version"});
        assertEquals(HostClient.EXIT_UNREACHABLE, status);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains(dir.resolve("none").toString()));
    }

    private static List<Byte> bytes(byte[] b) {
        Byte[] boxed = new Byte[b.length];
        for (int i = 0; i < b.length; i++) {
            boxed[i] = b[i];
        }
        return List.of(boxed);
    }
}
