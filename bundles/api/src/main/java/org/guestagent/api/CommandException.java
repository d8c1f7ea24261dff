package org.guestagent.api;

/**
 * A command failed in a way the host should read: the message is sent as is, with the code
 * (500 unless told otherwise). Never put a secret in the message.
 */
@Deprecated
public class CommandException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String code;

    public CommandException(String message) {
        this(CommandResult.FAILED, message, null);
    }

    public CommandException(String message, Throwable cause) {
        this(CommandResult.FAILED, message, cause);
    }

    public CommandException(String code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public String code() {
        return code;
    }
}
