package org.guestagent.commands.password.crypto;

import java.math.BigInteger;
import java.security.SecureRandom;

/**
 * One side of the protocol's Diffie-Hellman exchange: p = 162259276829213363391578010288127,
 * g = 5, a private key of 128 random bits. Holds the private key; never print an instance's
 * secrets (toString shows only the public key).
 */
public final class DiffieHellman {

    public static final BigInteger PRIME = new BigInteger("162259276829213363391578010288127");
    public static final BigInteger BASE = BigInteger.valueOf(5);
    /** More digits than any number below the prime has; longer text is refused before parsing. */
    private static final int MAX_DIGITS = PRIME.toString().length();
    private static final BigInteger TWO = BigInteger.TWO;
    private static final BigInteger PRIME_MINUS_ONE = PRIME.subtract(BigInteger.ONE);

    private final BigInteger privateKey;
    private final BigInteger publicKey;

    private DiffieHellman(BigInteger privateKey) {
        this.privateKey = privateKey;
        this.publicKey = BASE.modPow(privateKey, PRIME);
    }

    /** A new key pair with a 128-bit private key from the given secure source. */
    public static DiffieHellman generate(SecureRandom random) {
        BigInteger key;
        do {
            key = new BigInteger(128, random);
        } while (key.compareTo(TWO) < 0); // 0 and 1 would give away the secret
        return new DiffieHellman(key);
    }

    /** This side's public key, g^x mod p; what keyinit sends to the other side. */
    public BigInteger publicKey() {
        return publicKey;
    }

    /**
     * The shared secret from the other side's public key.
     *
     * @throws IllegalArgumentException when the key is outside 2..p-2 (see {@link #checkPublicKey})
     */
    public BigInteger sharedSecret(BigInteger otherPublicKey) {
        return checkPublicKey(otherPublicKey).modPow(privateKey, PRIME);
    }

    /**
     * Parses a public key sent as decimal text: digits only, no sign, no fraction.
     *
     * @throws IllegalArgumentException with a sentence saying what is wrong
     */
    public static BigInteger parsePublicKey(String text) {
        if (text == null || text.isEmpty()) {
            throw new IllegalArgumentException("The public key is empty");
        }
        if (text.length() > MAX_DIGITS || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("The public key must be a decimal number below the protocol's prime");
        }
        return checkPublicKey(new BigInteger(text));
    }

    /**
     * Refuses keys that give a guessable secret: 0, 1 and p-1 (a secret of 0 or plus/minus 1)
     * and anything not below p.
     */
    public static BigInteger checkPublicKey(BigInteger key) {
        if (key == null) {
            throw new IllegalArgumentException("The public key is missing");
        }
        if (key.compareTo(PRIME) >= 0) {
            throw new IllegalArgumentException("The public key must be less than the protocol's prime");
        }
        if (key.compareTo(TWO) < 0 || key.equals(PRIME_MINUS_ONE)) {
            throw new IllegalArgumentException("The public key " + key + " is not allowed: it would make the shared secret guessable");
        }
        return key;
    }

    @Override
    public String toString() {
        return "DiffieHellman[public=" + publicKey + "]";
    }
}
