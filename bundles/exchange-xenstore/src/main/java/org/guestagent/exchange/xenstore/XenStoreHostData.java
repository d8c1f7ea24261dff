package org.guestagent.exchange.xenstore;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

import org.guestagent.api.hostdata.HostData;
import org.guestagent.xenstore.XenStoreClient;
import org.guestagent.xenstore.XenStoreException;

/**
 * What the host published for this guest in XenStore, read on demand over the exchange's own
 * connection: the host data paths ({@code hostname}, {@code networking/<id>}) live under
 * {@value #VM_DATA} in the guest's home, as the XenAPI host writes them.
 */
public final class XenStoreHostData implements HostData {
    static final String VM_DATA = "vm-data/";

    private final XenStoreClient client;

    /** The client stays the caller's. */
    public XenStoreHostData(XenStoreClient client) {
        this.client = client;
    }

    @Override
    public String where(String path) {
        return VM_DATA + path;
    }

    @Override
    public Optional<String> read(String path) throws IOException {
        return client.readIfExists(where(path)).map(v -> new String(v, StandardCharsets.UTF_8));
    }

    @Override
    public List<String> children(String path) throws IOException {
        try {
            return client.directory(where(path));
        } catch (XenStoreException e) {
            if (e.isNoEntry()) {
                return List.of();
            }
            throw e;
        }
    }
}
