package org.guestagent.commands.password;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

import org.guestagent.api.command.CommandArgument;
import org.guestagent.api.command.CommandException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Outside OSGi, System.Logger goes to java.util.logging: catch every record at every level. */
class NoSecretsInLogsTest {

    private final List<String> lines = new ArrayList<>();
    private final Logger agentLoggers = Logger.getLogger("org.guestagent");
    private final Handler capture = new Handler() {
        private final SimpleFormatter formatter = new SimpleFormatter();

        @Override
        public void publish(LogRecord record) {
            synchronized (lines) {
                lines.add(formatter.format(record)); // message, parameters and any stack trace
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @TempDir
    Path root;

    @BeforeEach
    void captureEverything() {
        capture.setLevel(Level.ALL);
        agentLoggers.setLevel(Level.ALL);
        agentLoggers.addHandler(capture);
    }

    @AfterEach
    void stopCapturing() {
        agentLoggers.removeHandler(capture);
        agentLoggers.setLevel(null);
    }

    @Test
    void noPasswordKeySecretOrCiphertextIsLogged() throws Exception {
        ScratchGuest guest = new ScratchGuest(root).withShadow(ScratchGuest.SHADOW_BEFORE);
        TestSession session = new TestSession("xenstore");
        String password = "Sup3r-S3cret-Pa55";
        List<String> secrets = new ArrayList<>(List.of(password));

        BigInteger secret = guest.keyinit(session);
        byte[] key = MessageDigest.getInstance("MD5").digest(secret.toString().getBytes(StandardCharsets.US_ASCII));
        MessageDigest md5 = MessageDigest.getInstance("MD5");
        md5.update(key);
        byte[] iv = md5.digest(secret.toString().getBytes(StandardCharsets.US_ASCII));
        String good = Tools.opensslEncrypt(secret, (password + "\n").getBytes());
        String withNul = Tools.opensslEncrypt(secret, (password + "\0x\n").getBytes(StandardCharsets.ISO_8859_1));
        byte[] sha256 = MessageDigest.getInstance("SHA-256").digest(secret.toString().getBytes(StandardCharsets.US_ASCII));
        secrets.addAll(List.of(secret.toString(), HexFormat.of().formatHex(key), HexFormat.of().withUpperCase().formatHex(key),
                Base64.getEncoder().encodeToString(key), HexFormat.of().formatHex(iv), good, withNul,
                HexFormat.of().formatHex(sha256, 0, 16), HexFormat.of().formatHex(sha256, 16, 32)));

        // failures first (they log too; a third would drop the key), then the change
        for (String bad : List.of(withNul, "@" + good)) {
            try {
                guest.commands.password(CommandArgument.of(bad), session.request());
            } catch (CommandException e) {
                for (String s : secrets) {
                    assertFalse(e.getMessage().contains(s), "the answer holds a secret: " + e.getMessage());
                }
            }
        }
        assertEquals("", guest.commands.password(CommandArgument.of(good), session.request()));
        assertTrue(Tools.pythonVerifies(password, guest.rootHash()));

        String all;
        synchronized (lines) {
            all = String.join("\n", lines);
        }
        assertTrue(all.contains("Root password set for request xenstore-request-4"), "the change is logged: " + all);
        assertTrue(all.contains("Key agreed for request xenstore-request-1"), "debug lines are captured too: " + all);
        for (String s : secrets) {
            assertFalse(all.contains(s), "a log line holds a secret");
        }
        assertFalse(all.contains(guest.rootHash()), "not even the new hash is logged");
    }
}
