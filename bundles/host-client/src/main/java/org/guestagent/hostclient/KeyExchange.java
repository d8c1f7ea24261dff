package org.guestagent.hostclient;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;

import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The host's half of keyinit/password (docs/PROTOCOL.md section 3): Diffie-Hellman over the agent
 * protocol's fixed group, then AES-128-CBC with key and IV derived from the shared secret S in
 * decimal as {@code openssl enc -aes-128-cbc -nosalt -pass pass:S} does: with SHA-256 on OpenSSL
 * 1.1.0 and later (what a current nova sends), with MD5 on older hosts.
 */
final class KeyExchange {

    /** The key derivation of the host's OpenSSL (one round of EVP_BytesToKey, no salt). */
    enum Kdf {
        /** OpenSSL up to 1.0.2: key = MD5(S), iv = MD5(key || S). */
        MD5,
        /** OpenSSL 1.1.0 and later: key = SHA-256(S)[0:16], iv = SHA-256(S)[16:32]. */
        SHA256;

        static Kdf of(String name) {
            return switch (name) {
                case "md5" -> MD5;
                case "sha256" -> SHA256;
                default -> throw new IllegalArgumentException("--kdf must be md5 or sha256, not '" + name + "'");
            };
        }
    }

    static final BigInteger PRIME = new BigInteger("162259276829213363391578010288127");
    static final BigInteger GENERATOR = BigInteger.valueOf(5);

    private final BigInteger privateKey;
    private final BigInteger publicKey;

    KeyExchange(SecureRandom random) {
        this.privateKey = new BigInteger(128, random);
        this.publicKey = GENERATOR.modPow(privateKey, PRIME);
    }

    /** Our public key, decimal, as keyinit carries it. */
    String publicKey() {
        return publicKey.toString();
    }

    /** Encrypts the password the way the host does: password + "\n", AES-128-CBC, base64. */
    String encrypt(String password, String agentPublicKey, Kdf kdf) throws GeneralSecurityException {
        BigInteger agentKey = new BigInteger(agentPublicKey.trim());
        byte[] secret = agentKey.modPow(privateKey, PRIME).toString().getBytes(StandardCharsets.US_ASCII);
        byte[] key;
        byte[] iv;
        if (kdf == Kdf.MD5) {
            key = md5(secret);
            iv = md5(concat(key, secret));
        } else {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(secret);
            key = Arrays.copyOfRange(digest, 0, 16);
            iv = Arrays.copyOfRange(digest, 16, 32);
        }
        Cipher cipher = Cipher.getInstance("AES/CBC/PKCS5Padding");
        cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new IvParameterSpec(iv));
        byte[] encrypted = cipher.doFinal((password + "\n").getBytes(StandardCharsets.UTF_8));
        return Base64.getEncoder().encodeToString(encrypted);
    }

    private static byte[] md5(byte[] data) throws GeneralSecurityException {
        return MessageDigest.getInstance("MD5").digest(data);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
