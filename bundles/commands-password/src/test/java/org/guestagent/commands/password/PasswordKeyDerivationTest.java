package org.guestagent.commands.password;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Random;

import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import org.guestagent.api.command.CommandArgument;
import org.guestagent.api.command.CommandException;
import org.guestagent.api.command.CommandResult;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hosts of both kinds set the password: nova runs {@code openssl enc} without {@code -md}, so the
 * key derivation is MD5 on a host with OpenSSL 1.0.2 or older and SHA-256 from 1.1.0 on.
 */
class PasswordKeyDerivationTest {

    private static final NovaAnswer INVALID = new NovaAnswer("500", "Invalid password data received");

    @TempDir
    Path root;
    ScratchGuest guest;
    TestSession session;

    @BeforeEach
    void guest() throws Exception {
        guest = new ScratchGuest(root, new StandInCrypt()).withShadow(ScratchGuest.SHADOW_BEFORE);
        session = new TestSession("xenstore");
    }

    @Test
    void novaOnOpenssl3AndAnOldHostWithMd5BothSetThePassword() throws Exception {
        assertTrue(Tools.opensslVersion().matches("OpenSSL [3-9].*"), "this test needs OpenSSL 3: " + Tools.opensslVersion());
        BigInteger secret = guest.keyinit(session);
        assertEquals(NovaAnswer.ok(""), password(Tools.opensslEncryptAsNova(secret, "n0-md-given\n".getBytes())));
        assertHolds("n0-md-given");

        secret = guest.keyinit(session);
        assertEquals(NovaAnswer.ok(""), password(Tools.opensslEncrypt(secret, "md5-given\n".getBytes())));
        assertHolds("md5-given");

        secret = guest.keyinit(session);
        assertEquals(NovaAnswer.ok(""), password(Tools.opensslEncryptAsNova(secret, "sha256-given\n".getBytes(), "-md", "sha256")));
        assertHolds("sha256-given");
    }

    @Test
    void aWrongKeyGivesTheSameTextWithBothDerivations() throws Exception {
        BigInteger wrong = guest.keyinit(new TestSession("another exchange"));
        guest.keyinit(session);
        String before = guest.shadowText();
        assertEquals(INVALID, password(Tools.opensslEncryptAsNova(wrong, "not-for-you\n".getBytes())));
        assertEquals(INVALID, password(Tools.opensslEncrypt(wrong, "not-for-you\n".getBytes())));
        assertEquals(before, guest.shadowText());
    }

    @Test
    void aThousandRandomPasswordsRoundTripWithBothDerivations() throws Exception {
        Random random = new Random(13);
        List<String> passwords = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            int bytes = switch (i % 10) {
                case 0 -> 1;
                case 1 -> 255;
                default -> 1 + random.nextInt(255);
            };
            passwords.add(randomPassword(random, bytes));
        }
        for (int i = 0; i < passwords.size(); i++) {
            String password = passwords.get(i);
            byte[] plain = (password + "\n").getBytes(StandardCharsets.UTF_8);
            for (boolean sha256 : new boolean[] {true, false}) {
                BigInteger secret = guest.keyinit(session);
                String encrypted = hostEncrypt(secret, plain, sha256);
                if (i % 50 == 0) { // a sample checked against the real host tool, byte for byte
                    String cli = sha256 ? Tools.opensslEncryptAsNova(secret, plain) : Tools.opensslEncrypt(secret, plain);
                    assertEquals(cli, encrypted, "openssl and this host side agree for password " + i);
                }
                assertEquals(NovaAnswer.ok(""), password(encrypted), "password " + i + (sha256 ? " (SHA-256)" : " (MD5)"));
                assertHolds(password);
            }
        }
        assertTrue(passwords.stream().anyMatch(p -> p.length() < p.getBytes(StandardCharsets.UTF_8).length), "non-ASCII passwords");
        assertTrue(passwords.stream().anyMatch(p -> p.getBytes(StandardCharsets.UTF_8).length == 1));
        assertTrue(passwords.stream().anyMatch(p -> p.getBytes(StandardCharsets.UTF_8).length == 255));
    }

    /** Bad data made with the key the agent holds (unless it says otherwise). */
    @FunctionalInterface
    private interface BadData {
        String with(BigInteger secret) throws Exception;
    }

    private static final List<BadData> BAD = List.of(
            secret -> Base64.getEncoder().encodeToString(Arrays.copyOf(
                    Base64.getDecoder().decode(Tools.opensslEncryptAsNova(secret, "pw\n".getBytes())), 10)), // not whole blocks
            secret -> Tools.opensslEncryptAsNova(secret, "abcdefghijklmno\0".getBytes(StandardCharsets.ISO_8859_1), "-nopad"), // bad padding
            secret -> Tools.opensslEncrypt(secret, "abcdefghijklm\u0002\u0003\u0003".getBytes(StandardCharsets.ISO_8859_1), "-nopad"),
            secret -> Tools.opensslEncryptAsNova(secret, "no newline".getBytes()), // valid padding, no newline
            secret -> Tools.opensslEncryptAsNova(secret, new byte[] {'a', (byte) 0xff, '\n'}), // not UTF-8
            secret -> Tools.opensslEncrypt(secret, "ctl\u0001\n".getBytes()), // a control byte
            secret -> Tools.opensslEncryptAsNova(secret, "ab\0cd\n".getBytes(StandardCharsets.ISO_8859_1)), // a NUL byte
            secret -> Tools.opensslEncryptAsNova(secret, "\n".getBytes()), // empty
            secret -> Tools.opensslEncryptAsNova(secret, ("L".repeat(512) + "\n").getBytes()), // longer than crypt(3) takes
            secret -> Tools.opensslEncryptAsNova(secret, ("L".repeat(4096) + "\n").getBytes()), // longer than a password can be
            secret -> Tools.opensslEncryptAsNova(secret.add(BigInteger.ONE), "wrong key\n".getBytes()),
            secret -> Tools.opensslEncrypt(secret.add(BigInteger.ONE), "wrong key\n".getBytes()),
            secret -> "");

    @Test
    void everyDecryptionFailureAnswersOneAndTheSameText() throws Exception {
        for (int i = 0; i < BAD.size(); i++) {
            BigInteger secret = guest.keyinit(session);
            assertEquals(INVALID, password(BAD.get(i).with(secret)), "bad data " + i);
        }
        assertEquals(ScratchGuest.SHADOW_BEFORE, guest.shadowText());
    }

    @Test
    void twoFailuresKeepTheKeyAndTheThirdDropsIt() throws Exception {
        BigInteger secret = guest.keyinit(session);
        assertEquals(INVALID, password(BAD.get(1).with(secret)));
        assertEquals(new NovaAnswer("500", "Couldn't decode base64 data"), password("not base64!"));
        assertEquals(NovaAnswer.ok(""), password(Tools.opensslEncryptAsNova(secret, "after-two-failures\n".getBytes())));
        assertHolds("after-two-failures");

        secret = guest.keyinit(session);
        String good = Tools.opensslEncryptAsNova(secret, "too-late\n".getBytes());
        String before = guest.shadowText();
        for (int i = 0; i < KeyExchange.FAILURES_ALLOWED; i++) {
            assertEquals(INVALID, password(BAD.get(i).with(secret)));
        }
        assertEquals(new NovaAnswer("500", "Password without key exchange"), password(good), "the third failure dropped the key");
        assertEquals(before, guest.shadowText());

        secret = guest.keyinit(session); // a new keyinit starts afresh
        assertEquals(INVALID, password(BAD.get(0).with(secret)));
        assertEquals(NovaAnswer.ok(""), password(Tools.opensslEncryptAsNova(secret, "new-keyinit\n".getBytes())));
        assertHolds("new-keyinit");
    }

    private NovaAnswer password(String base64) {
        try {
            return NovaAnswer.ok(guest.commands.password(CommandArgument.of(base64), session.request()));
        } catch (CommandException e) {
            return NovaAnswer.of(e);
        }
    }

    /** root's hash is the stand-in crypt of exactly this password. */
    private void assertHolds(String password) throws Exception {
        String hash = guest.rootHash();
        assertEquals(new StandInCrypt().crypt(password.toCharArray(), StandInCrypt.settingOf(hash)), hash,
                "root's hash holds the password of " + password.getBytes(StandardCharsets.UTF_8).length + " bytes");
    }

    /**
     * The host's side, written out here from the OpenSSL facts rather than reusing the agent's
     * cipher: EVP_BytesToKey with one round and no salt, then AES-128-CBC with PKCS#7 padding.
     */
    private static String hostEncrypt(BigInteger secret, byte[] plain, boolean sha256) throws Exception {
        byte[] s = secret.toString().getBytes(StandardCharsets.US_ASCII);
        byte[] key;
        byte[] iv;
        if (sha256) {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s);
            key = Arrays.copyOf(d, 16);
            iv = Arrays.copyOfRange(d, 16, 32);
        } else {
            key = MessageDigest.getInstance("MD5").digest(s);
            MessageDigest md5 = MessageDigest.getInstance("MD5");
            md5.update(key);
            iv = md5.digest(s);
        }
        Cipher aes = Cipher.getInstance("AES/CBC/PKCS5Padding");
        aes.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new IvParameterSpec(iv));
        return Base64.getEncoder().encodeToString(aes.doFinal(plain));
    }

    /** Printable text of exactly this many UTF-8 bytes, with 2-, 3- and 4-byte characters mixed in. */
    private static String randomPassword(Random random, int bytes) {
        int[][] ranges = {{0x21, 0x7e}, {0xa1, 0x7ff}, {0x800, 0xd7ff}, {0x1f300, 0x1f5ff}};
        StringBuilder out = new StringBuilder();
        int left = bytes;
        while (left > 0) {
            int[] range = ranges[random.nextInt(ranges.length)];
            int cp = range[0] + random.nextInt(range[1] - range[0] + 1);
            int size = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8).length;
            if (size <= left) {
                out.appendCodePoint(cp);
                left -= size;
            }
        }
        return out.toString();
    }
}
