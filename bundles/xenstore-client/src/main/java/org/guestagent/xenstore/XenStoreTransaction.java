package org.guestagent.xenstore;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * An open XenStore transaction. Its operations see its own writes; other clients see them only
 * after {@link #commit()}, which fails with EAGAIN when something it touched changed meanwhile.
 * The async variants let a caller pipeline several operations in one round trip.
 */
public final class XenStoreTransaction {
    private final XenStoreClient client;
    private final int id;
    private final XsChannel connection;
    private boolean finished;

    XenStoreTransaction(XenStoreClient client, int id, XsChannel connection) {
        this.client = client;
        this.id = id;
        this.connection = connection;
    }

    /** The connection the transaction started on; its id means nothing on another one. */
    XsChannel connection() {
        return connection;
    }

    public int id() {
        return id;
    }

    public byte[] read(String path) throws IOException {
        return client.read(this, path);
    }

    public Optional<byte[]> readIfExists(String path) throws IOException {
        return client.readIfExists(this, path);
    }

    public void write(String path, byte[] value) throws IOException {
        client.write(this, path, value);
    }

    public void write(String path, String value) throws IOException {
        client.write(this, path, value.getBytes(StandardCharsets.UTF_8));
    }

    public void rm(String path) throws IOException {
        client.rm(this, path);
    }

    public List<String> directory(String path) throws IOException {
        return client.directory(this, path);
    }

    public CompletableFuture<byte[]> readAsync(String path) {
        return client.request(XsOperation.READ, this, XsMessage.strings(path), "read " + path);
    }

    public CompletableFuture<byte[]> writeAsync(String path, byte[] value) {
        return client.request(XsOperation.WRITE, this, XsMessage.pathAndValue(path, value), "write " + path);
    }

    public CompletableFuture<byte[]> rmAsync(String path) {
        return client.request(XsOperation.RM, this, XsMessage.strings(path), "rm " + path);
    }

    /** Waits for a future from one of the async operations. */
    public byte[] await(CompletableFuture<byte[]> future, String what) throws IOException {
        return client.await(future, what);
    }

    public void commit() throws IOException {
        finished = true;
        client.transactionEnd(this, true);
    }

    public void abort() throws IOException {
        finished = true;
        client.transactionEnd(this, false);
    }

    public boolean isFinished() {
        return finished;
    }

    void abortQuietly() {
        if (!finished) {
            try {
                abort();
            } catch (IOException ignored) {
                // the transaction dies with its connection anyway
            }
        }
    }
}
