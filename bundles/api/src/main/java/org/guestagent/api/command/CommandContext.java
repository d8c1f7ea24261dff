package org.guestagent.api.command;

import java.util.Optional;

import org.guestagent.api.hostdata.HostData;
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

    /**
     * What the host published for this guest through the exchange that carried the request (its
     * hostname, its network data), or empty when that exchange carries none.
     */
    Optional<HostData> hostData();

    /** A plain context without a protocol or host data, for parsers and tests. */
    static CommandContext of(String requestId, Session session) {
        return of(requestId, session, null, null);
    }

    /** A plain context without host data. */
    static CommandContext of(String requestId, Session session, String protocol) {
        return of(requestId, session, protocol, null);
    }

    /** A plain context; {@code hostData} may be null. */
    static CommandContext of(String requestId, Session session, String protocol, HostData hostData) {
        record Plain(String requestId, Session session, String protocol, Optional<HostData> hostData)
                implements CommandContext {
        }
        return new Plain(requestId, session, protocol, Optional.ofNullable(hostData));
    }
}
