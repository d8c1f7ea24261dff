package org.guestagent.commands.password;

import java.math.BigInteger;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.guestagent.commands.password.crypto.KeyDerivation;
import org.guestagent.commands.password.crypto.PasswordCipher;

/** The key agreed by the last keyinit on one exchange; kept in that exchange's session. */
final class KeyExchange {

    static final String SESSION_KEY = "org.guestagent.commands.password.key";
    /** After this many failed password requests the key is dropped: the host must run keyinit again. */
    static final int FAILURES_ALLOWED = 3;

    /**
     * One agreed key, as both derivations of the shared secret: the host's OpenSSL decides which
     * one it used (MD5 up to 1.0.2, SHA-256 since 1.1.0), and nothing in the request says so.
     */
    static final class Key {
        final PasswordCipher md5;
        final PasswordCipher sha256;
        private final AtomicInteger failures = new AtomicInteger();

        Key(BigInteger sharedSecret) {
            md5 = new PasswordCipher(sharedSecret, KeyDerivation.MD5);
            sha256 = new PasswordCipher(sharedSecret, KeyDerivation.SHA256);
        }

        void destroy() {
            md5.destroy();
            sha256.destroy();
        }

        @Override
        public String toString() {
            return "Key[MD5 or SHA-256]";
        }
    }

    private final AtomicReference<Key> key = new AtomicReference<>();

    Key current() {
        return key.get();
    }

    /**
     * A new keyinit replaces the key of the previous one. The old key is not wiped here: a
     * password request may still be decrypting with it, and must fail or succeed whole.
     */
    void replace(Key next) {
        key.set(next);
    }

    /**
     * Forgets the key after a successful change, unless a later keyinit replaced it meanwhile:
     * that newer key belongs to the host's next attempt.
     */
    void forget(Key used) {
        if (key.compareAndSet(used, null)) {
            used.destroy();
        }
    }

    /**
     * Counts a failed password request with this key; the {@link #FAILURES_ALLOWED}th drops it,
     * so that nobody can probe the key with unlimited guesses. True when the key was dropped.
     */
    boolean failed(Key used) {
        if (used.failures.incrementAndGet() >= FAILURES_ALLOWED) {
            forget(used);
            return true;
        }
        return false;
    }

    @Override
    public String toString() {
        return "KeyExchange[" + (key.get() == null ? "no key" : "key agreed") + "]";
    }
}
