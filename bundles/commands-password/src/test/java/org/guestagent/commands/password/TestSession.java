package org.guestagent.commands.password;

import org.guestagent.api.command.CommandContext;
import org.guestagent.api.command.MapSession;

/** The state of one exchange, as the core keeps it, and a context for requests on it. */
final class TestSession extends MapSession {
    private int requests;

    TestSession(String name) {
        super(name);
    }

    /** The context of the next request on this exchange. */
    synchronized CommandContext request() {
        return CommandContext.of(name() + "-request-" + (++requests), this);
    }
}
