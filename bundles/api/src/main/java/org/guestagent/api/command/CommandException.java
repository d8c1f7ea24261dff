package org.guestagent.api.command;

/**
 * A command failed in a way the host should read: the message is sent as is, with the status
 * ({@link CommandResult.Status#FAILED} unless told otherwise) and an optional protocol-specific
 * detail code. Never put a secret in the message.
 */
public class CommandException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final CommandResult.Status status;
    private final String detail;

    public CommandException(String message) {
        this(CommandResult.Status.FAILED, null, message, null);
    }

    public CommandException(String message, Throwable cause) {
        this(CommandResult.Status.FAILED, null, message, cause);
    }

    public CommandException(CommandResult.Status status, String message) {
        this(status, null, message, null);
    }

    public CommandException(CommandResult.Status status, String detail, String message, Throwable cause) {
        super(message, cause);
        this.status = status == null ? CommandResult.Status.FAILED : status;
        this.detail = detail;
    }

    public CommandResult.Status status() {
        return status;
    }

    /** The protocol-specific code, or {@code null}. */
    public String detail() {
        return detail;
    }

    /** The answer this failure gives. */
    public CommandResult result() {
        return new CommandResult(status, getMessage(), detail);
    }
}
