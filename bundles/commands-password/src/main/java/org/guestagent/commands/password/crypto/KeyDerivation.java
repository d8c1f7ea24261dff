package org.guestagent.commands.password.crypto;

/**
 * How {@code openssl enc -nosalt -pass pass:S} turns the pass phrase S into key and IV: one round
 * of EVP_BytesToKey without salt, with the digest of the host's OpenSSL (nova passes no {@code -md}).
 */
public enum KeyDerivation {
    /** OpenSSL up to 1.0.2 (and {@code -md md5}): key = MD5(S), IV = MD5(key ‖ S). */
    MD5,
    /** OpenSSL 1.1.0 and later: key = SHA-256(S)[0:16], IV = SHA-256(S)[16:32]. */
    SHA256
}
