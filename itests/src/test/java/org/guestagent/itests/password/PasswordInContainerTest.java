package org.guestagent.itests.password;

import static org.guestagent.itests.support.Json.answer;
import static org.guestagent.itests.support.Json.request;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.options;

import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.inject.Inject;

import org.guestagent.api.transport.Exchange;
import org.guestagent.api.runtime.PairingRegistry;
import org.guestagent.api.system.GuestFiles;
import org.guestagent.itests.support.AgentBundles;
import org.guestagent.itests.support.QueueExchange;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

/**
 * keyinit and password in the real container, through the real nova JSON parser, with the
 * platform bundle's crypt(3) through JNA and the system bundle's files below a scratch root.
 * The host's side is the openssl command line; the new hash is checked with Python's crypt.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class PasswordInContainerTest {

    static final BigInteger P = new BigInteger("162259276829213363391578010288127");
    static final String OTHER_LINES = "daemon:*:19000:0:99999:7:::\nalice:!:19000:0:99999:7:::\n";

    @Inject
    private BundleContext context;
    @Inject
    private PairingRegistry pairs;
    @Inject
    private GuestFiles files;

    private QueueExchange host;
    private ServiceRegistration<Exchange> registration;

    @Configuration
    public Option[] config() throws IOException {
        Path root = AgentBundles.scratch("guest-root");
        return options(AgentBundles.foundation(),
                AgentBundles.seam(),
                AgentBundles.ours("bundles/ops-password"),
                AgentBundles.ours("bundles/commands-password"),
                frameworkProperty("guestagent.root").value(root.toString()));
    }

    @Before
    public void connectHost() throws Exception {
        Path shadow = files.resolve("/etc/shadow");
        Files.createDirectories(shadow.getParent());
        Files.writeString(shadow, "root:*:19000:0:99999:7:::\n" + OTHER_LINES);
        Files.setAttribute(shadow, "unix:mode", 0640);
        host = new QueueExchange("password-host");
        registration = host.register(context, pairs);
    }

    @After
    public void disconnectHost() {
        registration.unregister();
    }

    @Test
    public void theHostSetsRootsPassword() throws Exception {
        BigInteger secret = keyinit("\"" + hostKey(privateKey()) + "\"");
        assertEquals(answer("0", ""), host.call(request("password", quoted(opensslEncrypt(secret, "In-C0ntainer pass\n")))));

        String shadow = Files.readString(files.resolve("/etc/shadow"));
        String hash = shadow.lines().findFirst().orElseThrow().split(":")[1];
        assertTrue(hash, hash.matches("\\$6\\$[./0-9A-Za-z]{16}\\$.+"));
        assertTrue("Python's crypt accepts the new password", pythonVerifies("In-C0ntainer pass", hash));
        assertTrue(shadow, shadow.endsWith(OTHER_LINES));
        assertEquals(0640, (Integer) Files.getAttribute(files.resolve("/etc/shadow"), "unix:mode") & 0777);
        // the key is forgotten after the change
        assertEquals(answer("500", "Password without key exchange"), host.call(request("password", "\"AAAA\"")));
    }

    /** nova's own command on OpenSSL 1.1.0 or later: no -md, so the key is derived with SHA-256. */
    @Test
    public void novaOnACurrentOpensslSetsRootsPassword() throws Exception {
        BigInteger secret = keyinit("\"" + hostKey(privateKey()) + "\"");
        String encrypted = new String(run(List.of("openssl", "enc", "-aes-128-cbc", "-a", "-A", "-nosalt", "-pass", "pass:" + secret),
                "Curr3nt-openssl\n".getBytes(StandardCharsets.UTF_8)), StandardCharsets.US_ASCII).strip();
        assertEquals(answer("0", ""), host.call(request("password", quoted(encrypted))));
        String hash = Files.readString(files.resolve("/etc/shadow")).lines().findFirst().orElseThrow().split(":")[1];
        assertTrue(pythonVerifies("Curr3nt-openssl", hash));
    }

    @Test
    public void aHostKeySentAsAJsonNumberWorks() throws Exception {
        BigInteger secret = keyinit(hostKey(privateKey()).toString());
        assertEquals(answer("0", ""), host.call(request("password", quoted(opensslEncrypt(secret, "numbered\n")))));
        String hash = Files.readString(files.resolve("/etc/shadow")).lines().findFirst().orElseThrow().split(":")[1];
        assertTrue(pythonVerifies("numbered", hash));
    }

    @Test
    public void errorsHaveTheProtocolsTexts() throws Exception {
        String before = Files.readString(files.resolve("/etc/shadow"));
        assertEquals(answer("500", "Password without key exchange"), host.call(request("password", "\"AAAA\"")));
        BigInteger secret = keyinit("\"" + hostKey(privateKey()) + "\"");
        assertEquals(answer("500", "Couldn't decode base64 data"), host.call(request("password", "\"not base64!\"")));
        assertEquals(answer("500", "Invalid password data received"), host.call(request("password", "\"AAAAAAAA\"")));
        String wrongKey = opensslEncrypt(secret.add(BigInteger.ONE), "wrong-key\n"); // encrypted under another secret
        String answer = host.call(request("password", quoted(wrongKey)));
        assertTrue(answer, answer.startsWith("{\"returncode\":\"500\""));
        String keyinit = host.call(request("keyinit", "\"" + P.subtract(BigInteger.ONE) + "\""));
        assertTrue(keyinit, keyinit.startsWith("{\"returncode\":\"500\",\"message\":\"Invalid keyinit: The public key"));
        assertEquals(before, Files.readString(files.resolve("/etc/shadow")));
    }

    private BigInteger keyinit(String hostKeyJson) throws Exception {
        BigInteger privateKey = lastPrivateKey;
        String reply = host.call(request("keyinit", hostKeyJson));
        Matcher m = Pattern.compile("\\{\"returncode\":\"D0\",\"message\":\"([0-9]+)\"\\}").matcher(reply);
        assertTrue(reply, m.matches());
        return new BigInteger(m.group(1)).modPow(privateKey, P);
    }

    private BigInteger lastPrivateKey;

    private BigInteger privateKey() {
        lastPrivateKey = new BigInteger(128, new SecureRandom()).add(BigInteger.TWO);
        return lastPrivateKey;
    }

    private static BigInteger hostKey(BigInteger privateKey) {
        return BigInteger.valueOf(5).modPow(privateKey, P);
    }

    private static String quoted(String text) {
        return "\"" + text + "\"";
    }

    private static String opensslEncrypt(BigInteger secret, String plain) throws Exception {
        return new String(run(List.of("openssl", "enc", "-aes-128-cbc", "-a", "-A", "-nosalt", "-md", "md5", "-pass", "pass:" + secret),
                plain.getBytes(StandardCharsets.UTF_8)), StandardCharsets.US_ASCII).strip();
    }

    private static boolean pythonVerifies(String password, String hash) throws Exception {
        return new String(run(List.of("/usr/bin/python3", "-W", "ignore", "-c",
                "import crypt, sys; print(crypt.crypt(sys.argv[1], sys.argv[2]) == sys.argv[2])", password, hash), new byte[0]),
                StandardCharsets.UTF_8).strip().equals("True");
    }

    private static byte[] run(List<String> command, byte[] input) throws Exception {
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try (OutputStream in = process.getOutputStream()) {
            in.write(input);
        }
        byte[] out = process.getInputStream().readAllBytes();
        assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        assertEquals(command.get(0) + " failed", 0, process.exitValue());
        return out;
    }
}
