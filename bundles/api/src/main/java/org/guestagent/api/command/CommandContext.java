package org.guestagent.api.command;

import org.osgi.annotation.versioning.ProviderType;

/** What a command may know about the request it serves. */
@ProviderType
public interface CommandContext {

    /** The host's id of the request, for log lines. */
    String requestId();

    /** The pair (exchange and protocol) the request came through; state kept here stays with that host. */
    Session session();

    /**
     * The protocol of the pair the request came through (e.g. {@code nova-json}), or {@code null}
     * when the request came from elsewhere (the shell, a test).
     */
    String protocol();

    /** A plain context without a protocol, for parsers and tests. */
    static CommandContext of(String requestId, Session session) {
        return of(requestId, session, null);
    }

    /** A plain context. */
    static CommandContext of(String requestId, Session session, String protocol) {
        record Plain(String requestId, Session session, String protocol) implements CommandContext {
        }
        return new Plain(requestId, session, protocol);
    }
}
