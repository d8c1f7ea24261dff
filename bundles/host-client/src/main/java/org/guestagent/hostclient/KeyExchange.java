package org.guestagent.hostclient;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;

import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The host's half of keyinit/password (PROTOCOL.md section 3): Diffie-Hellman over the agent
 * protocol's fixed group, then AES-128-CBC with key = MD5(S) and iv = MD5(key || S), S being the
 * shared secret in decimal (what {@code openssl enc -aes-128-cbc -nosalt -md md5 -pass pass:S} does).
 */
final class KeyExchange {

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
    String encrypt(String password, String agentPublicKey) throws GeneralSecurityException {
        BigInteger agentKey = new BigInteger(agentPublicKey.trim());
        byte[] secret = agentKey.modPow(privateKey, PRIME).toString().getBytes(StandardCharsets.US_ASCII);
        byte[] key = md5(secret);
        byte[] iv = md5(concat(key, secret));
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
