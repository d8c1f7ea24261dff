package org.guestagent.ops.password;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Sets a user's password in the guest's password files, for any protocol's adapter: nova's
 * {@code password} (root, plain), QGA's {@code guest-set-user-password} (any user, plain or crypted).
 * Implementations go through the system seam (files under the guest root, system actions).
 */
@ProviderType
public interface UserPasswords {

    /**
     * Hashes the password with crypt(3), keeping the method and salt length of the user's old hash
     * when the system can, and writes it; a locked entry comes out unlocked.
     *
     * @throws PasswordChangeException when the password could not be set; its message says why
     *         and holds no secret
     */
    void setPassword(String user, char[] password) throws PasswordChangeException;

    /**
     * Writes an already crypted hash (such as {@code $6$salt$...}) as the user's password.
     *
     * @throws PasswordChangeException when the hash is unusable or could not be written
     */
    void setCryptedPassword(String user, String hash) throws PasswordChangeException;
}
