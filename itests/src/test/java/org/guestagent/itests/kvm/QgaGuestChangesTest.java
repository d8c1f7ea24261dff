package org.guestagent.itests.kvm;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.options;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.inject.Inject;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.guestagent.api.runtime.PairingRegistry;
import org.guestagent.api.system.GuestFiles;
import org.guestagent.api.system.SystemActions;
import org.guestagent.itests.support.AgentBundles;
import org.guestagent.itests.support.Await;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * What the QGA pair changes in a scratch guest: guest-set-user-password (plain and crypted) writes
 * a user's hash into the root's shadow, and guest-file-* round-trips every byte value.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class QgaGuestChangesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String OTHER_LINES = "root:*:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n";

    @Inject
    private PairingRegistry pairs;
    @Inject
    private ConfigurationAdmin configAdmin;
    @Inject
    private GuestFiles files;
    @Inject
    private SystemActions actions;

    private static Path socket;

    @Configuration
    public Option[] config() {
        return options(AgentBundles.foundation(),
                AgentBundles.allCommands(AgentBundles.scratch("qga-changes-root")),
                QgaInContainer.bundles());
    }

    @Before
    public void pairListens() throws Exception {
        if (socket == null) {
            socket = AgentBundles.scratch("qga-changes").resolve("agent.sock");
            QgaInContainer.listen(configAdmin, pairs, socket);
        }
        QgaInContainer.awaitServing(pairs, socket);
        Path shadow = files.resolve("/etc/shadow");
        Files.createDirectories(shadow.getParent());
        Files.writeString(shadow, "alice:!:19000:0:99999:7:::\n" + OTHER_LINES);
        Files.setAttribute(shadow, "unix:mode", 0640);
        Files.createDirectories(files.resolve("/var/tmp"));
    }

    private static JsonNode ask(QgaHost host, String request) throws Exception {
        host.write(request);
        byte[] line = host.answer();
        assertNotNull("an answer to " + request, line);
        return JSON.readTree(line);
    }

    private String aliceHash() throws Exception {
        String shadow = Files.readString(files.resolve("/etc/shadow"));
        assertTrue("the other users are kept: " + shadow, shadow.endsWith(OTHER_LINES));
        return shadow.lines().findFirst().orElseThrow().split(":")[1];
    }

    @Test
    public void setUserPasswordPlainWritesAHashThatVerifies() throws Exception {
        String password = "Kvm-pa55 wörd";
        try (QgaHost host = new QgaHost(socket)) {
            JsonNode answer = ask(host, "{\"execute\":\"guest-set-user-password\",\"arguments\":{\"username\":\"alice\",\"password\":\""
                    + Base64.getEncoder().encodeToString(password.getBytes(StandardCharsets.UTF_8)) + "\",\"crypted\":false}}");
            assertEquals(answer.toString(), "{}", answer.get("return").toString());
        }
        String hash = aliceHash();
        assertTrue(hash, hash.startsWith("$"));
        assertTrue("Python's crypt accepts the new password", pythonVerifies(password, hash));
        assertEquals(0640, (Integer) Files.getAttribute(files.resolve("/etc/shadow"), "unix:mode") & 0777);
    }

    @Test
    public void setUserPasswordCryptedWritesTheHashAsGiven() throws Exception {
        String hash = new String(run(List.of("openssl", "passwd", "-6", "-salt", "qgasalt", "crypted-one")), StandardCharsets.UTF_8).strip();
        try (QgaHost host = new QgaHost(socket)) {
            JsonNode answer = ask(host, "{\"execute\":\"guest-set-user-password\",\"arguments\":{\"username\":\"alice\",\"password\":\""
                    + Base64.getEncoder().encodeToString(hash.getBytes(StandardCharsets.UTF_8)) + "\",\"crypted\":true}}");
            assertEquals(answer.toString(), "{}", answer.get("return").toString());
        }
        assertEquals(hash, aliceHash());
        assertTrue(pythonVerifies("crypted-one", hash));
    }

    @Test
    public void guestFileRoundTripsBinaryData() throws Exception {
        byte[] data = new byte[3 * 256 + 7];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 7);
        }
        try (QgaHost host = new QgaHost(socket)) {
            long handle = ask(host, "{\"execute\":\"guest-file-open\",\"arguments\":{\"path\":\"/var/tmp/blob.bin\",\"mode\":\"wb+\"}}")
                    .get("return").asLong();
            assertTrue("a handle from 1000: " + handle, handle >= 1000);
            int half = data.length / 2;
            for (byte[] part : List.of(java.util.Arrays.copyOfRange(data, 0, half), java.util.Arrays.copyOfRange(data, half, data.length))) {
                JsonNode written = ask(host, "{\"execute\":\"guest-file-write\",\"arguments\":{\"handle\":" + handle
                        + ",\"buf-b64\":\"" + Base64.getEncoder().encodeToString(part) + "\"}}").get("return");
                assertEquals(part.length, written.get("count").asInt());
            }
            ask(host, "{\"execute\":\"guest-file-seek\",\"arguments\":{\"handle\":" + handle + ",\"offset\":0,\"whence\":\"set\"}}");
            ByteArrayOutputStream read = new ByteArrayOutputStream();
            boolean eof = false;
            while (!eof) {
                JsonNode chunk = ask(host, "{\"execute\":\"guest-file-read\",\"arguments\":{\"handle\":" + handle + ",\"count\":100}}")
                        .get("return");
                read.write(Base64.getDecoder().decode(chunk.get("buf-b64").asText()));
                eof = chunk.get("eof").asBoolean();
            }
            assertEquals("{}", ask(host, "{\"execute\":\"guest-file-close\",\"arguments\":{\"handle\":" + handle + "}}")
                    .get("return").toString());
            assertArrayEquals("read back through guest-file-read", data, read.toByteArray());
        }
        assertArrayEquals("the file below the guest root", data, Files.readAllBytes(files.resolve("/var/tmp/blob.bin")));
    }

    @Test
    public void guestShutdownIsASystemActionWithoutAnswer() throws Exception {
        assertTrue("system actions are recorded below the scratch root", actions.isRecording());
        try (QgaHost host = new QgaHost(socket)) {
            JsonNode refused = ask(host, "{\"execute\":\"guest-shutdown\",\"arguments\":{\"mode\":\"sideways\"}}");
            assertEquals(refused.toString(), "mode is invalid (valid values are: halt|powerdown|reboot", refused.path("error").path("desc").asText());
            host.write("{\"execute\":\"guest-shutdown\",\"arguments\":{\"mode\":\"reboot\"},\"id\":1}");
            // qemu-ga sends nothing for a shutdown that went ahead: the next answer is the ping's
            JsonNode next = ask(host, "{\"execute\":\"guest-ping\",\"id\":2}");
            assertEquals(next.toString(), 2, next.path("id").asInt());
        }
        List<String> recorded = actions.recorded();
        assertTrue("the reboot was recorded: " + recorded, recorded.stream().anyMatch(l -> l.contains("shutdown") && l.contains("-r")));
    }

    @Test
    public void sshKeysAreAddedListedAndRemovedInTheUsersHome() throws Exception {
        Path passwd = files.resolve("/etc/passwd");
        Files.writeString(passwd, "root:x:0:0:root:/root:/bin/sh\nbob:x:1234:1235:Bob:/home/bob:/bin/sh\n");
        Path home = Files.createDirectories(files.resolve("/home/bob"));
        Files.setAttribute(home, "unix:uid", 1234); // bob's home is his, as on a real guest
        Files.setAttribute(home, "unix:gid", 1235);
        String first = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFirst bob@one";
        String second = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQSecond bob@two";
        try (QgaHost host = new QgaHost(socket)) {
            assertEquals("{}", ask(host, "{\"execute\":\"guest-ssh-add-authorized-keys\",\"arguments\":{\"username\":\"bob\",\"keys\":[\""
                    + first + "\",\"" + second + "\",\"" + first + "\"]}}").path("return").toString());
            assertEquals("{\"keys\":[\"" + first + "\",\"" + second + "\"]}",
                    ask(host, "{\"execute\":\"guest-ssh-get-authorized-keys\",\"arguments\":{\"username\":\"bob\"}}").path("return").toString());
            assertEquals("{}", ask(host, "{\"execute\":\"guest-ssh-remove-authorized-keys\",\"arguments\":{\"username\":\"bob\",\"keys\":[\""
                    + first + "\"]}}").path("return").toString());
            JsonNode bad = ask(host, "{\"execute\":\"guest-ssh-add-authorized-keys\",\"arguments\":{\"username\":\"bob\",\"keys\":[\"#x\"]}}");
            assertEquals(bad.toString(), "invalid OpenSSH public key: '#x'", bad.path("error").path("desc").asText());
        }
        Path keys = files.resolve("/home/bob/.ssh/authorized_keys");
        assertEquals(second + "\n", Files.readString(keys));
        assertEquals(0600, (Integer) Files.getAttribute(keys, "unix:mode") & 0777);
        assertEquals(0700, (Integer) Files.getAttribute(keys.getParent(), "unix:mode") & 0777);
        assertEquals(1234, Files.getAttribute(keys, "unix:uid"));
        assertEquals(1235, Files.getAttribute(keys.getParent(), "unix:gid"));
    }

    private static boolean pythonVerifies(String password, String hash) throws Exception {
        return new String(run(List.of("/usr/bin/python3", "-W", "ignore", "-c",
                "import crypt, sys; print(crypt.crypt(sys.argv[1], sys.argv[2]) == sys.argv[2])", password, hash)),
                StandardCharsets.UTF_8).strip().equals("True");
    }

    private static byte[] run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(command + " ends", p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(command + ": " + new String(out, StandardCharsets.UTF_8), 0, p.exitValue());
        return out;
    }
}
