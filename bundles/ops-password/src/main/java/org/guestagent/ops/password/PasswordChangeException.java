package org.guestagent.ops.password;

/** A password could not be set; the message says why (for the host to read) and holds no secret. */
public class PasswordChangeException extends Exception {
    private static final long serialVersionUID = 1L;

    public PasswordChangeException(String message) {
        super(message);
    }
}
