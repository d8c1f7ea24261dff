package org.guestagent.api.command;

import java.util.Objects;

/**
 * The answer of a command, in no protocol's terms: a {@link Status}, a message, and optionally a
 * detail, a protocol-specific code that a protocol adapter sets and that protocol's parser puts on
 * the wire instead of its usual code for the status. Each parser maps the status to its own form.
 */
public final class CommandResult {

    /** How a command ended. */
    public enum Status {
        /** The command did what was asked; the message is its answer. */
        OK,
        /** No command of that name is offered (to the asking protocol) right now. */
        NOT_FOUND,
        /** The command failed; the message says why. */
        FAILED,
        /** The argument was not what the command takes; the message says what was expected. */
        INVALID_ARGUMENT
    }

    private final Status status;
    private final String message;
    private final String detail;

    public CommandResult(Status status, String message, String detail) {
        this.status = Objects.requireNonNull(status, "status");
        this.message = message == null ? "" : message;
        this.detail = detail;
    }

    public CommandResult(Status status, String message) {
        this(status, message, null);
    }

    public static CommandResult ok(String message) {
        return new CommandResult(Status.OK, message);
    }

    public static CommandResult failed(String message) {
        return new CommandResult(Status.FAILED, message);
    }

    public static CommandResult notFound(String message) {
        return new CommandResult(Status.NOT_FOUND, message);
    }

    public static CommandResult invalidArgument(String message) {
        return new CommandResult(Status.INVALID_ARGUMENT, message);
    }

    /** This result with a protocol-specific code as its detail. */
    public CommandResult withDetail(String detail) {
        return new CommandResult(status, message, detail);
    }

    public Status status() {
        return status;
    }

    public String message() {
        return message;
    }

    /** The protocol-specific code set by a protocol adapter, or {@code null}. */
    public String detail() {
        return detail;
    }

    public boolean isSuccess() {
        return status == Status.OK;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CommandResult r && r.status == status && r.message.equals(message)
                && Objects.equals(r.detail, detail);
    }

    @Override
    public int hashCode() {
        return (status.hashCode() * 31 + message.hashCode()) * 31 + Objects.hashCode(detail);
    }

    @Override
    public String toString() {
        return status + (detail == null ? "" : "(" + detail + ")") + " " + message;
    }
}
