package org.guestagent.exchange.xenstore;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.time.Duration;

import org.guestagent.api.hostdata.HostData;
import org.guestagent.api.transport.Exchange;
import org.guestagent.api.transport.RawRequest;
import org.guestagent.xenstore.XenStoreClient;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The nova-json exchange over XenStore, three concerns around one connection: the host writes
 * {@code data/host/<id>}, {@link XenStoreRequests} finds each request and hands it out once, in
 * arrival order; {@link XenStoreAnswers} removes {@code data/host/<id>} and writes
 * {@code data/guest/<id>} in one transaction and keeps the old answers within their share of the
 * quota; {@link XenStoreHostData} reads what the host published under {@code vm-data/} for the
 * requests this exchange carries. All three use the one client this exchange opens (the
 * connection settings of its configuration: a simulator in the container supplies its socket
 * there, as {@code socket.path}), and closing it ends them.
 */
@Component(configurationPid = XenStoreExchangeConfig.PID, property = Exchange.PROTOCOL + "=nova-json")
@Designate(ocd = XenStoreExchangeConfig.class)
public final class XenStoreExchange implements Exchange {

    private static final System.Logger LOG = System.getLogger(XenStoreExchange.class.getName());
    /**
     * How long receive() waits before returning null. A stop does not need it (close() and the
     * dispatcher's interrupt end the wait), so it is long: an idle agent is not woken.
     */
    private static final long RECEIVE_WAIT_MS = 60_000;

    /** What the exchange needs to know; the DS configuration maps onto it. */
    public record Settings(String requestPath, String responsePath, Duration rescanInterval, Duration replyPatience,
            Duration answerLifetime, int answerCap) {
        /** The defaults of {@link XenStoreExchangeConfig}: answers live 600 s, at most 500 of them (half of 1000 nodes). */
        public Settings(String requestPath, String responsePath, Duration rescanInterval, Duration replyPatience) {
            this(requestPath, responsePath, rescanInterval, replyPatience, Duration.ofSeconds(600), 500);
        }

        static Settings of(XenStoreExchangeConfig c) {
            return new Settings(c.request_path(), c.response_path(), Duration.ofSeconds(Math.max(1, c.rescan_interval_seconds())),
                    Duration.ofSeconds(Math.max(1, c.request_timeout_seconds()) * 2L),
                    Duration.ofSeconds(Math.max(1, c.answer_lifetime_seconds())),
                    Math.max(1, (int) ((long) c.domain_node_quota() * Math.min(100, Math.max(1, c.answer_quota_percent())) / 100)));
        }

        /** The node of one request. */
        String requestNode(String id) {
            return requestPath + "/" + id;
        }
    }

    private XenStoreClient client;
    private volatile HostData hostData;
    private XenStoreRequests requests;
    private XenStoreAnswers answers;
    private volatile boolean closed;

    @Activate
    void activate(XenStoreExchangeConfig config) {
        start(XenStoreConnections.open(config), Settings.of(config));
    }

    @Deactivate
    void deactivate() {
        close();
    }

    /** Starts serving on a client (which this exchange then owns and closes). */
    public void start(XenStoreClient xenstore, Settings config) {
        this.client = xenstore;
        this.hostData = new XenStoreHostData(xenstore);
        this.requests = new XenStoreRequests(xenstore, config);
        this.answers = new XenStoreAnswers(xenstore, config);
        requests.start();
        answers.start();
        LOG.log(Level.INFO, "XenStore exchange on {0}, requests under {1}", client.describe(), config.requestPath());
    }

    /** Writes the answers handed over (within a few seconds), then stops finding requests and closes the connection. */
    public void close() {
        if (answers != null && !closed) {
            answers.finish();
        }
        closed = true;
        if (requests != null) {
            requests.close();
        }
        if (answers != null) {
            answers.close();
        }
        if (client != null) {
            client.close();
        }
    }

    /** vm-data/ of this guest, read over this exchange's connection. */
    @Override
    public HostData hostData() {
        return hostData;
    }

    @Override
    public String describe() {
        return "xenstore:" + (client == null ? "?" : client.describe());
    }

    @Override
    public RawRequest receive() throws InterruptedException {
        return closed || requests == null ? null : requests.next(RECEIVE_WAIT_MS);
    }

    /**
     * Hands the answer to the answer writer (waiting while its queue is full). Once the exchange
     * is closing, the caller writes the answer itself, as nothing would be left to write it.
     */
    @Override
    public void reply(RawRequest request, byte[] response) throws IOException {
        if (closed || answers == null) {
            throw new IOException("Could not answer request " + request.id() + ": the XenStore exchange is closed");
        }
        answers.hand(request, response);
    }
}
