package org.guestagent.commands.password;

import java.util.concurrent.atomic.AtomicReference;

import org.guestagent.commands.password.crypto.PasswordCipher;

/** The password cipher agreed by the last keyinit on one exchange; kept in that exchange's session. */
final class KeyExchange {

    static final String SESSION_KEY = "org.guestagent.commands.password.key";

    private final AtomicReference<PasswordCipher> cipher = new AtomicReference<>();

    PasswordCipher current() {
        return cipher.get();
    }

    /**
     * A new keyinit replaces the key of the previous one. The old key is not wiped here: a
     * password request may still be decrypting with it, and must fail or succeed whole.
     */
    void replace(PasswordCipher next) {
        cipher.set(next);
    }

    /**
     * Forgets the key after a successful change, unless a later keyinit replaced it meanwhile:
     * that newer key belongs to the host's next attempt.
     */
    void forget(PasswordCipher used) {
        if (cipher.compareAndSet(used, null)) {
            used.destroy();
        }
    }

    @Override
    public String toString() {
        return "KeyExchange[" + (cipher.get() == null ? "no key" : "key agreed") + "]";
    }
}
