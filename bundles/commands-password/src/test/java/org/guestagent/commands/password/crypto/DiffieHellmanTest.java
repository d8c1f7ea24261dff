package org.guestagent.commands.password.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.security.SecureRandom;

import org.junit.jupiter.api.Test;

class DiffieHellmanTest {

    private static final BigInteger P = new BigInteger("162259276829213363391578010288127");

    @Test
    void bothSidesAgreeOnTheSecret() {
        SecureRandom random = new SecureRandom();
        DiffieHellman agent = DiffieHellman.generate(random);
        DiffieHellman host = DiffieHellman.generate(random);
        assertEquals(agent.sharedSecret(host.publicKey()), host.sharedSecret(agent.publicKey()));
        assertEquals(P, DiffieHellman.PRIME);
        assertEquals(BigInteger.valueOf(5), DiffieHellman.BASE);
    }

    @Test
    void thePublicKeyIsGToThePrivateKey() {
        // a random source that yields a known private key: 128 bits of 0x01 bytes
        SecureRandom fixed = new SecureRandom() {
            @Override
            public void nextBytes(byte[] bytes) {
                java.util.Arrays.fill(bytes, (byte) 1);
            }
        };
        BigInteger x = new BigInteger("01010101010101010101010101010101", 16);
        assertEquals(BigInteger.valueOf(5).modPow(x, P), DiffieHellman.generate(fixed).publicKey());
    }

    @Test
    void parsesDecimalKeysAndRefusesEverythingElse() {
        assertEquals(BigInteger.valueOf(12345), DiffieHellman.parsePublicKey("12345"));
        assertEquals(BigInteger.TWO, DiffieHellman.parsePublicKey("2"));
        assertEquals(P.subtract(BigInteger.TWO), DiffieHellman.parsePublicKey(P.subtract(BigInteger.TWO).toString()));
        for (String bad : new String[] {"0", "1", P.subtract(BigInteger.ONE).toString(), P.toString(), P.add(BigInteger.ONE).toString(),
                "9".repeat(5000), "", "abc", "-7", "+7", "1e10", "12.0", " 12", "٣"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DiffieHellman.parsePublicKey(bad), bad);
            assertTrue(e.getMessage().startsWith("The public key"), e.getMessage());
        }
    }

    @Test
    void toStringShowsNoPrivateKey() {
        DiffieHellman dh = DiffieHellman.generate(new SecureRandom());
        assertFalse(dh.toString().replace(dh.publicKey().toString(), "").matches(".*\\d{10,}.*"));
    }
}
