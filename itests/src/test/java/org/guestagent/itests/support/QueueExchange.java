package org.guestagent.itests.support;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import java.util.Dictionary;
import java.util.Hashtable;

import org.guestagent.api.hostdata.HostData;
import org.guestagent.api.transport.Exchange;
import org.guestagent.api.runtime.PairingRegistry;
import org.guestagent.api.transport.RawRequest;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

/** An in-memory exchange a test registers as a service: it sends requests and awaits answers. */
public final class QueueExchange implements Exchange {
    private final BlockingQueue<RawRequest> inbox = new LinkedBlockingQueue<>();
    private final Map<String, CompletableFuture<String>> answers = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private final String name;
    private volatile HostData hostData;

    public QueueExchange(String name) {
        this.name = name;
    }

    /** This exchange carries the given host data (as XenStore carries vm-data/) to its requests' commands. */
    public QueueExchange withHostData(HostData data) {
        this.hostData = data;
        return this;
    }

    @Override
    public HostData hostData() {
        return hostData;
    }

    /**
     * Registers this exchange for protocol nova-json and waits until the core has paired it.
     * Unregister the returned registration when done.
     */
    public ServiceRegistration<Exchange> register(BundleContext context, PairingRegistry pairs)
            throws InterruptedException {
        return register(context, pairs, "nova-json");
    }

    /** Registers this exchange for the given protocol and waits until the core has paired it. */
    public ServiceRegistration<Exchange> register(BundleContext context, PairingRegistry pairs, String protocol)
            throws InterruptedException {
        Dictionary<String, Object> properties = new Hashtable<>();
        properties.put(Exchange.PROTOCOL, protocol);
        ServiceRegistration<Exchange> registration = context.registerService(Exchange.class, this, properties);
        Await.until("the pair of " + describe() + " forms",
                () -> pairs.pairs().stream().anyMatch(p -> p.exchange().equals(describe())));
        return registration;
    }

    /** Queues a request and returns the future of its answer. */
    public CompletableFuture<String> send(byte[] body) {
        String id = name + "-" + ids.incrementAndGet();
        CompletableFuture<String> answer = new CompletableFuture<>();
        answers.put(id, answer);
        inbox.add(new RawRequest(id, body));
        return answer;
    }

    public CompletableFuture<String> send(String body) {
        return send(body.getBytes(StandardCharsets.UTF_8));
    }

    /** Sends and waits (bounded) for the answer text. */
    public String call(String body) throws Exception {
        return send(body).get(30, TimeUnit.SECONDS);
    }

    /** Requests sent whose answer has not come yet. */
    public long unanswered() {
        return answers.values().stream().filter(f -> !f.isDone()).count();
    }

    @Override
    public RawRequest receive() throws InterruptedException {
        return inbox.poll(1, TimeUnit.SECONDS);
    }

    @Override
    public void reply(RawRequest request, byte[] response) {
        CompletableFuture<String> answer = answers.get(request.id());
        if (answer != null) {
            answer.complete(new String(response, StandardCharsets.UTF_8));
        }
    }

    @Override
    public String describe() {
        return "queue:" + name;
    }
}
