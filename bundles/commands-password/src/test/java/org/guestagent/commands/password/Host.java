package org.guestagent.commands.password;

import java.math.BigInteger;
import java.security.SecureRandom;

/** The host's side of the key exchange, written out here rather than reusing the agent's class. */
final class Host {

    static final BigInteger P = new BigInteger("162259276829213363391578010288127");
    static final BigInteger G = BigInteger.valueOf(5);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final BigInteger privateKey = new BigInteger(128, RANDOM).add(BigInteger.TWO);
    final BigInteger publicKey = G.modPow(privateKey, P);

    BigInteger sharedSecret(String agentPublicKey) {
        return new BigInteger(agentPublicKey).modPow(privateKey, P);
    }
}
