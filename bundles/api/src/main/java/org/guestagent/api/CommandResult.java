package org.guestagent.api;

import java.util.Objects;

/** The answer of a command: a return code as the host reads it, and a message. */
@Deprecated
public final class CommandResult {
    /** Success. */
    public static final String OK = "0";
    /** Unknown command. */
    public static final String NOT_FOUND = "404";
    /** Failure. */
    public static final String FAILED = "500";

    private final String code;
    private final String message;

    public CommandResult(String code, String message) {
        this.code = Objects.requireNonNull(code, "code");
        this.message = message == null ? "" : message;
    }

    public static CommandResult ok(String message) {
        return new CommandResult(OK, message);
    }

    public static CommandResult failed(String message) {
        return new CommandResult(FAILED, message);
    }

    public String code() {
        return code;
    }

    public String message() {
        return message;
    }

    /** "0", or a letter followed by "0" (a protocol's own success code); every numeric code but "0" is a failure. */
    public boolean isSuccess() {
        return code.equals(OK) || (code.length() == 2 && Character.isLetter(code.charAt(0)) && code.charAt(1) == '0');
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CommandResult r && r.code.equals(code) && r.message.equals(message);
    }

    @Override
    public int hashCode() {
        return code.hashCode() * 31 + message.hashCode();
    }

    @Override
    public String toString() {
        return code + " " + message;
    }
}
