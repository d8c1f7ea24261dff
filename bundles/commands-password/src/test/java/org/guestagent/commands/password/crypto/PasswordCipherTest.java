package org.guestagent.commands.password.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.crypto.BadPaddingException;
import javax.crypto.IllegalBlockSizeException;

import org.junit.jupiter.api.Test;

class PasswordCipherTest {

    private static final BigInteger SECRET = new BigInteger("98765432109876543210987654321");

    @Test
    void keyAndIvAreThoseOfOpensslWithMd5AndNoSalt() throws Exception {
        // openssl -P prints the key and IV it derives from the pass phrase
        String printed = new String(openssl(List.of("enc", "-aes-128-cbc", "-nosalt", "-md", "md5", "-pass", "pass:" + SECRET, "-P"),
                new byte[0]), StandardCharsets.US_ASCII);
        String key = printed.lines().filter(l -> l.startsWith("key=")).findFirst().orElseThrow().substring(4).strip();
        String iv = printed.lines().filter(l -> l.startsWith("iv")).findFirst().orElseThrow().replaceFirst("iv\\s*=", "").strip();
        byte[] plain = "compare".getBytes();
        byte[] ours = new PasswordCipher(SECRET).encrypt(plain);
        byte[] theirs = openssl(List.of("enc", "-aes-128-cbc", "-K", key, "-iv", iv), plain);
        assertArrayEquals(theirs, ours);
        assertEquals(32, key.length());
        assertFalse(HexFormat.of().formatHex(ours).contains(key.toLowerCase()));
    }

    @Test
    void keyAndIvAreThoseOfOpensslWithoutMdWhichIsSha256SinceOpenssl110() throws Exception {
        String printed = new String(openssl(List.of("enc", "-aes-128-cbc", "-nosalt", "-pass", "pass:" + SECRET, "-P"),
                new byte[0]), StandardCharsets.US_ASCII);
        String key = printed.lines().filter(l -> l.startsWith("key=")).findFirst().orElseThrow().substring(4).strip();
        String iv = printed.lines().filter(l -> l.startsWith("iv")).findFirst().orElseThrow().replaceFirst("iv\\s*=", "").strip();
        byte[] plain = "compare".getBytes();
        byte[] ours = new PasswordCipher(SECRET, KeyDerivation.SHA256).encrypt(plain);
        assertArrayEquals(openssl(List.of("enc", "-aes-128-cbc", "-K", key, "-iv", iv), plain), ours);
        assertFalse(java.util.Arrays.equals(new PasswordCipher(SECRET, KeyDerivation.MD5).encrypt(plain), ours));
    }

    @Test
    void decryptsWhatOpensslEncryptsAndOpensslDecryptsWhatWeEncrypt() throws Exception {
        byte[] plain = "host-side secret\n".getBytes();
        byte[] fromOpenssl = Base64.getDecoder().decode(new String(openssl(List.of("enc", "-aes-128-cbc", "-a", "-A", "-nosalt",
                "-md", "md5", "-pass", "pass:" + SECRET), plain), StandardCharsets.US_ASCII).strip());
        assertArrayEquals(plain, new PasswordCipher(SECRET).decrypt(fromOpenssl));

        String ours = Base64.getEncoder().encodeToString(new PasswordCipher(SECRET).encrypt(plain));
        byte[] back = openssl(List.of("enc", "-d", "-aes-128-cbc", "-a", "-A", "-nosalt", "-md", "md5", "-pass", "pass:" + SECRET),
                ours.getBytes(StandardCharsets.US_ASCII));
        assertArrayEquals(plain, back);
    }

    @Test
    void refusesPartialBlocksAndBadPadding() {
        PasswordCipher cipher = new PasswordCipher(SECRET);
        assertThrows(IllegalBlockSizeException.class, () -> cipher.decrypt(new byte[0]));
        assertThrows(IllegalBlockSizeException.class, () -> cipher.decrypt(new byte[17]));
        // 16 bytes of text, then a block of sixteen 0x10; in CBC, flipping a bit of the first cipher
        // block flips the same bit of the second plain block: the last pad byte becomes 0x11
        byte[] tampered = cipher.encrypt("x".repeat(16).getBytes());
        tampered[15] ^= 1;
        assertThrows(BadPaddingException.class, () -> cipher.decrypt(tampered));
        tampered[15] ^= 1;
        tampered[14] ^= 1; // 0x10 ... 0x11 0x10: the pad bytes differ
        assertThrows(BadPaddingException.class, () -> cipher.decrypt(tampered));
        assertThrows(BadPaddingException.class, () -> cipher.decrypt(padWith(cipher, (byte) 0)));
    }

    @Test
    void destroyMakesTheCipherUseless() throws Exception {
        PasswordCipher cipher = new PasswordCipher(SECRET);
        byte[] before = cipher.encrypt("x".getBytes());
        cipher.destroy();
        assertFalse(java.util.Arrays.equals(before, cipher.encrypt("x".getBytes())));
        assertFalse(cipher.toString().contains(SECRET.toString()));
    }

    /** A block whose plain text ends in the given (invalid) pad byte. */
    private static byte[] padWith(PasswordCipher cipher, byte pad) {
        byte[] block = "abcdefghijklmnop".getBytes();
        block[15] = pad;
        byte[] twoBlocks = cipher.encrypt(block); // block + a full padding block
        return java.util.Arrays.copyOf(twoBlocks, 16); // CBC: the first block alone decrypts to it
    }

    private static byte[] openssl(List<String> args, byte[] input) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("openssl"));
        command.addAll(args);
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try (OutputStream in = process.getOutputStream()) {
            in.write(input);
        }
        byte[] out = process.getInputStream().readAllBytes();
        process.waitFor(30, TimeUnit.SECONDS);
        assertEquals(0, process.exitValue(), "openssl " + args);
        return out;
    }
}
