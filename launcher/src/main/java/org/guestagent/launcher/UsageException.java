package org.guestagent.launcher;

/** The command line cannot be understood; the message says why and is shown as is. */
final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
        super(message);
    }
}
