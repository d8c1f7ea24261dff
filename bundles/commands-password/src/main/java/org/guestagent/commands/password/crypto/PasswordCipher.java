package org.guestagent.commands.password.crypto;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;

import javax.crypto.BadPaddingException;
import javax.crypto.Cipher;
import javax.crypto.IllegalBlockSizeException;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The password cipher both sides derive from the shared secret, byte for byte what
 * {@code openssl enc -aes-128-cbc -nosalt -pass pass:<secret>} does: from the secret's decimal
 * text S, key and IV by one of the two {@link KeyDerivation}s (MD5 up to OpenSSL 1.0.2, SHA-256
 * since 1.1.0), then AES-128-CBC with PKCS#7 padding. Call {@link #destroy} when done; toString
 * shows nothing secret.
 */
public final class PasswordCipher {

    private static final int BLOCK = 16;

    private final byte[] key;
    private final byte[] iv;

    private final KeyDerivation derivation;

    /** The MD5 derivation of OpenSSL up to 1.0.2 (and of {@code -md md5}). */
    public PasswordCipher(BigInteger sharedSecret) {
        this(sharedSecret, KeyDerivation.MD5);
    }

    public PasswordCipher(BigInteger sharedSecret, KeyDerivation derivation) {
        this.derivation = derivation;
        byte[] secret = sharedSecret.toString().getBytes(StandardCharsets.US_ASCII);
        try {
            if (derivation == KeyDerivation.MD5) {
                MessageDigest md5 = MessageDigest.getInstance("MD5");
                key = md5.digest(secret);
                md5.update(key);
                iv = md5.digest(secret);
            } else {
                byte[] digest = MessageDigest.getInstance("SHA-256").digest(secret);
                key = Arrays.copyOfRange(digest, 0, BLOCK);
                iv = Arrays.copyOfRange(digest, BLOCK, 2 * BLOCK);
                Arrays.fill(digest, (byte) 0);
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("This Java runtime has no " + derivation, e);
        } finally {
            Arrays.fill(secret, (byte) 0);
        }
    }

    public KeyDerivation derivation() {
        return derivation;
    }

    /** Encrypts (the host's side): AES-128-CBC with PKCS#7 padding. */
    public byte[] encrypt(byte[] plain) {
        try {
            return cipher(Cipher.ENCRYPT_MODE).doFinal(plain);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-128-CBC is not available", e);
        }
    }

    /**
     * Decrypts (the agent's side) and checks the PKCS#7 padding: every pad byte equal, 1 to 16.
     *
     * @throws IllegalBlockSizeException when the data is empty or not whole blocks
     * @throws BadPaddingException       when the padding is wrong (often: the wrong key)
     */
    public byte[] decrypt(byte[] encrypted) throws IllegalBlockSizeException, BadPaddingException {
        if (encrypted.length == 0 || encrypted.length % BLOCK != 0) {
            throw new IllegalBlockSizeException("The data is not a whole number of 16-byte blocks");
        }
        byte[] padded;
        try {
            padded = cipher(Cipher.DECRYPT_MODE).doFinal(encrypted);
        } catch (IllegalBlockSizeException | BadPaddingException e) {
            throw e;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-128-CBC is not available", e);
        }
        try {
            int pad = padded[padded.length - 1] & 0xff;
            boolean ok = pad >= 1 && pad <= BLOCK;
            for (int i = 1; ok && i <= pad; i++) {
                ok = (padded[padded.length - i] & 0xff) == pad;
            }
            if (!ok) {
                throw new BadPaddingException("The padding is not valid PKCS#7");
            }
            return Arrays.copyOf(padded, padded.length - pad);
        } finally {
            Arrays.fill(padded, (byte) 0);
        }
    }

    /** Overwrites the key and IV; the cipher is unusable afterwards. */
    public void destroy() {
        Arrays.fill(key, (byte) 0);
        Arrays.fill(iv, (byte) 0);
    }

    private Cipher cipher(int mode) throws GeneralSecurityException {
        // decryption unpads itself (above) so that the padding check is visible and complete
        Cipher cipher = Cipher.getInstance(mode == Cipher.ENCRYPT_MODE ? "AES/CBC/PKCS5Padding" : "AES/CBC/NoPadding");
        cipher.init(mode, new SecretKeySpec(key, "AES"), new IvParameterSpec(iv));
        return cipher;
    }

    @Override
    public String toString() {
        return "PasswordCipher[AES-128-CBC, " + derivation + "]";
    }
}
