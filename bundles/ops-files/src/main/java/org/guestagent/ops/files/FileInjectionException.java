package org.guestagent.ops.files;

/** A file could not be injected; the message says why, as a sentence a person can act on. */
public class FileInjectionException extends Exception {
    private static final long serialVersionUID = 1L;

    public FileInjectionException(String message) {
        super(message);
    }

    public FileInjectionException(String message, Throwable cause) {
        super(message, cause);
    }
}
