package org.guestagent.commands.password;

import org.guestagent.api.command.CommandException;
import org.guestagent.api.command.CommandResult;

/** A command's answer as nova reads it ("returncode", "message"), mapped as the nova JSON parser does. */
record NovaAnswer(String code, String message) {

    static NovaAnswer ok(String message) {
        return new NovaAnswer("0", message);
    }

    static NovaAnswer of(CommandResult result) {
        String code = result.detail() != null ? result.detail() : switch (result.status()) {
            case OK -> "0";
            case NOT_FOUND -> "404";
            case FAILED, INVALID_ARGUMENT -> "500";
        };
        return new NovaAnswer(code, result.message());
    }

    static NovaAnswer of(CommandException e) {
        return of(e.result());
    }
}
