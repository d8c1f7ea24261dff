package org.guestagent.launcher;

/** The configuration cannot be used (missing folder, unknown feature, missing bundle...). */
final class ConfigException extends Exception {
    private static final long serialVersionUID = 1L;

    ConfigException(String message) {
        super(message);
    }

    ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
