package org.guestagent.api;

import org.osgi.annotation.versioning.ProviderType;

/** What a command may know about the request it serves. */
@Deprecated
@ProviderType
public interface CommandContext {

    /** The host's id of the request, for log lines. */
    String requestId();

    /** The exchange/parser pair the request came through; state kept here stays with that host. */
    Session session();

    /** A plain context, for parsers and tests. */
    static CommandContext of(String requestId, Session session) {
        record Plain(String requestId, Session session) implements CommandContext {
        }
        return new Plain(requestId, session);
    }
}
