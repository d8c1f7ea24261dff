package org.guestagent.itests.robustness;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.guestagent.xenstore.XenStoreClient;
import org.guestagent.xenstore.XenStoreException;
import org.guestagent.xenstore.XenStoreTransport;
import org.guestagent.xenstore.simulator.XenStoreSimulator;

/**
 * The host's side of a guest, in this JVM: a XenStore simulator serving the guest (domain 1) on
 * one socket and the host (domain 0) on another, and a host client that writes requests to
 * {@code data/host/<id>} and collects what the agent writes to {@code data/guest/<id>}, through a
 * watch. Every answer seen is recorded per id; optionally it is then removed, so that a second
 * answer to the same request would show up as a second recorded answer.
 */
public final class HostSide implements AutoCloseable {
    public static final int GUEST = XenStoreSimulator.DEFAULT_GUEST_DOMID;
    public static final String DATA = "/local/domain/" + GUEST + "/data";
    public static final String REQUESTS = DATA + "/host";
    public static final String ANSWERS = DATA + "/guest";

    private final XenStoreSimulator simulator;
    private final Path guestSocket;
    private final Path dom0Socket;
    private final XenStoreClient client;
    private final boolean removeAnswers;
    private final Map<String, List<String>> answers = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> events = new ConcurrentHashMap<>();
    private final AtomicInteger answerCount = new AtomicInteger();
    private volatile String watchFailure;

    private HostSide(XenStoreSimulator simulator, Path guestSocket, Path dom0Socket, XenStoreClient client, boolean removeAnswers) {
        this.simulator = simulator;
        this.guestSocket = guestSocket;
        this.dom0Socket = dom0Socket;
        this.client = client;
        this.removeAnswers = removeAnswers;
    }

    /**
     * Starts the simulator on {@code dir/guest.sock} and {@code dir/dom0.sock} and watches the
     * answers. The guest has C xenstored's default node quota of 1,000.
     */
    public static HostSide start(Path dir, boolean removeAnswers) throws IOException {
        return start(dir, removeAnswers, XenStoreSimulator.DEFAULT_NODE_QUOTA);
    }

    /**
     * The same with another node quota for the guest, as a host that queues thousands of requests
     * for one guest must give it (xenstored --entry-nb): its pending requests are the guest's nodes.
     */
    public static HostSide start(Path dir, boolean removeAnswers, int nodeQuota) throws IOException {
        Path guestSocket = dir.resolve("guest.sock");
        Path dom0Socket = dir.resolve("dom0.sock");
        XenStoreSimulator simulator = new XenStoreSimulator().nodeQuota(nodeQuota).start(guestSocket).listen(dom0Socket, 0);
        XenStoreClient client;
        try {
            client = XenStoreClient.open(XenStoreTransport.unixSocket(dom0Socket), Duration.ofSeconds(20));
        } catch (IOException e) {
            simulator.stop();
            throw e;
        }
        HostSide host = new HostSide(simulator, guestSocket, dom0Socket, client, removeAnswers);
        client.watch(ANSWERS, host::answerChanged);
        return host;
    }

    public XenStoreSimulator simulator() {
        return simulator;
    }

    public Path guestSocket() {
        return guestSocket;
    }

    public Path dom0Socket() {
        return dom0Socket;
    }

    public XenStoreClient client() {
        return client;
    }

    /** Writes a request under a new id (a sortable prefix, then a UUID) and returns the id. */
    public String send(String prefix, String body) throws IOException {
        String id = prefix + "-" + UUID.randomUUID();
        client.write(REQUESTS + "/" + id, body);
        return id;
    }

    /** Sends one request and waits (bounded) for its answer. */
    public String call(String body, Duration limit) throws IOException, InterruptedException {
        String id = send("call", body);
        if (!awaitAnswered(List.of(id), limit)) {
            throw new AssertionError("no answer to " + body + " within " + limit.toSeconds() + " s");
        }
        return answers.get(id).get(0);
    }

    /** Waits until every id has at least one recorded answer; false when the limit ran out. */
    public boolean awaitAnswered(Collection<String> ids, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        for (String id : ids) {
            while (!answers.containsKey(id)) {
                if (System.nanoTime() > deadline) {
                    return false;
                }
                Thread.sleep(10);
            }
        }
        return true;
    }

    /** Every answer recorded for this id, in order (one, if all is well). */
    public List<String> answersOf(String id) {
        return answers.getOrDefault(id, List.of());
    }

    /** How many watch events named data/guest/&lt;id&gt;. */
    public int eventsOf(String id) {
        AtomicInteger n = events.get(id);
        return n == null ? 0 : n.get();
    }

    /** Answers recorded so far, all ids together. */
    public int answerCount() {
        return answerCount.get();
    }

    /** Set when reading or removing an answer failed in the watch handler. */
    public String watchFailure() {
        return watchFailure;
    }

    public List<String> list(String path) throws IOException {
        try {
            return client.directory(path);
        } catch (XenStoreException e) {
            if (e.isNoEntry()) {
                return List.of();
            }
            throw e;
        }
    }

    public Optional<String> read(String path) throws IOException {
        return client.readIfExists(path).map(bytes -> new String(bytes, StandardCharsets.UTF_8));
    }

    /** Runs on the client's event thread, one event at a time. */
    private void answerChanged(String path, String token) {
        if (!path.startsWith(ANSWERS + "/")) {
            return;
        }
        String id = path.substring(ANSWERS.length() + 1);
        events.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
        try {
            Optional<String> answer = read(path);
            if (answer.isPresent()) {
                answers.computeIfAbsent(id, k -> java.util.Collections.synchronizedList(new ArrayList<>())).add(answer.get());
                answerCount.incrementAndGet();
                if (removeAnswers) {
                    client.rm(path);
                }
            }
        } catch (IOException e) {
            watchFailure = "handling the answer " + id + " failed: " + e.getMessage();
        }
    }

    @Override
    public void close() {
        client.close();
        simulator.stop();
    }
}
