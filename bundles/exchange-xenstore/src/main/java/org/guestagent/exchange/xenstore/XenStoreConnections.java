package org.guestagent.exchange.xenstore;

import java.time.Duration;
import java.util.Map;

import org.guestagent.xenstore.XenStoreClient;
import org.guestagent.xenstore.XenStoreTransport;

/** Opens the one XenStore connection the configuration asks for. */
final class XenStoreConnections {

    private XenStoreConnections() {
    }

    static XenStoreTransport transport(XenStoreExchangeConfig config, Map<String, String> env) {
        return XenStoreTransport.choose(config.transport(), config.socket_path(), config.device_path(), env);
    }

    static XenStoreClient open(XenStoreExchangeConfig config) {
        return XenStoreClient.openReconnecting(transport(config, System.getenv()),
                Duration.ofSeconds(Math.max(1, config.request_timeout_seconds())));
    }
}
