package org.guestagent.hostclient;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.guestagent.xenstore.XenStoreClient;

/**
 * Sends one agent request the way the XenAPI host does: writes {@code data/host/<uuid>} with
 * {"name","value"} below the guest's domain, then looks at {@code data/guest/<uuid>} every 0.5 s
 * (and whenever a watch says it changed) until the answer is there or the time is up; on timeout
 * it deletes its request.
 */
final class AgentCaller {

    /** The agent's answer. */
    record Answer(String returncode, String message) {
        boolean succeeded() {
            return "0".equals(returncode) || "D0".equals(returncode);
        }
    }

    /** The agent did not answer in time. */
    static class TimeoutException extends IOException {
        private static final long serialVersionUID = 1L;

        TimeoutException(String message) {
            super(message);
        }
    }

    /** Nothing can answer in this domain, or nothing ever has and nothing did now. */
    static final class NoAgentException extends TimeoutException {
        private static final long serialVersionUID = 1L;

        NoAgentException(String message) {
            super(message);
        }
    }

    private static final long POLL_MS = 500;
    /** How long to wait for the first answer ever seen in a domain before saying that nothing answers there. */
    static final Duration FIRST_CONTACT = Duration.ofSeconds(5);

    private final XenStoreClient xenstore;
    private final String home;
    private final ObjectMapper json = new ObjectMapper();
    private final int domid;
    /** data/guest exists: an agent has answered in this domain before (ours creates it when it starts). */
    private boolean answeredBefore;
    /** data/host existed before this client wrote to it. */
    private boolean askedBefore;

    AgentCaller(XenStoreClient xenstore, int domid) {
        this.xenstore = xenstore;
        this.domid = domid;
        this.home = "/local/domain/" + domid;
    }

    /**
     * Fails at once when the domain has no home in XenStore (so no agent can watch its data/host),
     * and notes whether anything has ever answered there: if not, the first call waits only
     * {@link #FIRST_CONTACT} before saying so.
     */
    void checkDomain(String where) throws IOException {
        if (xenstore.readIfExists(home).isEmpty()) {
            throw new NoAgentException("no agent can answer: there is no domain " + domid + " in XenStore at " + where
                    + " (no " + home + "); check --domid");
        }
        answeredBefore = xenstore.readIfExists(home + "/data/guest").isPresent();
        askedBefore = xenstore.readIfExists(home + "/data/host").isPresent();
    }

    String home() {
        return home;
    }

    Answer call(String name, JsonNode value, Duration timeout) throws IOException, InterruptedException {
        boolean firstContact = !answeredBefore && FIRST_CONTACT.compareTo(timeout) < 0;
        Duration limit = firstContact ? FIRST_CONTACT : timeout;
        String id = UUID.randomUUID().toString();
        String requestPath = home + "/data/host/" + id;
        String responsePath = home + "/data/guest/" + id;
        ObjectNode request = json.createObjectNode();
        request.put("name", name);
        request.set("value", value);

        Semaphore changed = new Semaphore(0);
        XenStoreClient.Watch watch = xenstore.watch(responsePath, (path, token) -> changed.release());
        try {
            xenstore.write(requestPath, json.writeValueAsBytes(request));
            long deadline = System.nanoTime() + limit.toNanos();
            while (true) {
                Optional<byte[]> response = xenstore.readIfExists(responsePath);
                if (response.isPresent()) {
                    xenstore.rm(responsePath);
                    answeredBefore = true;
                    return parse(response.get());
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    xenstore.rm(requestPath);
                    if (firstContact) {
                        throw new NoAgentException("nothing answered '" + name + "' within " + limit.toSeconds()
                                + " s, and nothing has ever answered in domain " + domid + " (no " + home + "/data/guest; "
                                + (askedBefore ? "data/host was there before" : "no data/host before this request")
                                + "): no agent runs in that guest, or --domid is wrong");
                    }
                    throw new TimeoutException("timeout: the agent did not answer '" + name + "' within "
                            + timeout.toSeconds() + " s");
                }
                changed.tryAcquire(Math.min(TimeUnit.NANOSECONDS.toMillis(left) + 1, POLL_MS), TimeUnit.MILLISECONDS);
            }
        } finally {
            xenstore.unwatch(watch);
        }
    }

    private Answer parse(byte[] response) {
        try {
            JsonNode node = json.readTree(response);
            return new Answer(node.path("returncode").asText(""), node.path("message").asText(""));
        } catch (IOException e) {
            return new Answer("?", "unreadable answer: " + new String(response, StandardCharsets.UTF_8));
        }
    }
}
