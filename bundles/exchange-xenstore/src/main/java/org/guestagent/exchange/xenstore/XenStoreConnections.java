package org.guestagent.exchange.xenstore;

import java.time.Duration;
import java.util.Map;

import org.guestagent.xenstore.XenStoreClient;
import org.guestagent.xenstore.XenStoreEndpoint;
import org.guestagent.xenstore.XenStoreTransport;

/** Opens the XenStore connection the configuration asks for; an embedded simulator wins. */
final class XenStoreConnections {

    private XenStoreConnections() {
    }

    static XenStoreTransport transport(XenStoreExchangeConfig config, XenStoreEndpoint simulator, Map<String, String> env) {
        if (simulator != null) {
            return XenStoreTransport.unixSocket(simulator.socketPath());
        }
        return XenStoreTransport.choose(config.transport(), config.socket_path(), config.device_path(), env);
    }

    static XenStoreClient open(XenStoreExchangeConfig config, XenStoreEndpoint simulator) {
        return XenStoreClient.openReconnecting(transport(config, simulator, System.getenv()),
                Duration.ofSeconds(Math.max(1, config.request_timeout_seconds())));
    }
}
