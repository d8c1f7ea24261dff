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
    static final class TimeoutException extends IOException {
        private static final long serialVersionUID = 1L;

        TimeoutException(String message) {
            super(message);
        }
    }

    private static final long POLL_MS = 500;

    private final XenStoreClient xenstore;
    private final String home;
    private final ObjectMapper json = new ObjectMapper();

    AgentCaller(XenStoreClient xenstore, int domid) {
        this.xenstore = xenstore;
        this.home = "/local/domain/" + domid;
    }

    String home() {
        return home;
    }

    Answer call(String name, JsonNode value, Duration timeout) throws IOException, InterruptedException {
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
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                Optional<byte[]> response = xenstore.readIfExists(responsePath);
                if (response.isPresent()) {
                    xenstore.rm(responsePath);
                    return parse(response.get());
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    xenstore.rm(requestPath);
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
