package org.guestagent.exchange.xenstore;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

import org.guestagent.api.hostdata.HostData;
import org.guestagent.xenstore.XenStoreClient;
import org.guestagent.xenstore.XenStoreEndpoint;
import org.guestagent.xenstore.XenStoreException;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/** What the host published for this guest in XenStore (vm-data/...), read on demand. */
@Component(name = "org.guestagent.exchange.xenstore.hostdata", configurationPid = XenStoreExchangeConfig.PID)
public final class XenStoreHostData implements HostData {

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY)
    private XenStoreEndpoint simulator;

    private XenStoreClient client;

    public XenStoreHostData() {
    }

    /** For use without DS; the client stays the caller's. */
    public XenStoreHostData(XenStoreClient client) {
        this.client = client;
    }

    @Activate
    void activate(XenStoreExchangeConfig config) {
        client = XenStoreConnections.open(config, simulator);
    }

    @Deactivate
    void deactivate() {
        client.close();
    }

    @Override
    public Optional<String> read(String path) throws IOException {
        return client.readIfExists(path).map(v -> new String(v, StandardCharsets.UTF_8));
    }

    @Override
    public List<String> children(String path) throws IOException {
        try {
            return client.directory(path);
        } catch (XenStoreException e) {
            if (e.isNoEntry()) {
                return List.of();
            }
            throw e;
        }
    }
}
