package org.guestagent.exchange.xenstore;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import org.guestagent.api.transport.RawRequest;
import org.guestagent.xenstore.XenStoreClient;
import org.guestagent.xenstore.XenStoreTransport;
import org.guestagent.xenstore.simulator.XenStoreSimulator;

/**
 * Not a test: measures the exchange alone on the simulator (a fixed answer stands in for the
 * parser). Prints the sequential round trip (request written to response readable) p50/p99 over
 * 1,000 requests, and the time to drain 10,000 requests written in one transaction.
 * Run: {@code java -cp <test classpath> org.guestagent.exchange.xenstore.ExchangeBenchmark}.
 */
public final class ExchangeBenchmark {

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("xenstore-bench");
        // 10,000 requests queued at once are 10,000 nodes of the guest: a host that does this runs
        // xenstored with a raised quota (--entry-nb), and the agent is told the same.
        XenStoreSimulator simulator = new XenStoreSimulator(1, null).nodeQuota(30_000)
                .start(dir.resolve("guest")).listen(dir.resolve("host"), 0);
        XenStoreClient host = XenStoreClient.open(XenStoreTransport.unixSocket(dir.resolve("host")));
        XenStoreExchange exchange = new XenStoreExchange();
        exchange.start(XenStoreClient.openReconnecting(XenStoreTransport.unixSocket(dir.resolve("guest")), Duration.ofSeconds(10)),
                new XenStoreExchange.Settings("data/host", "data/guest", Duration.ofSeconds(10), Duration.ofSeconds(20),
                        Duration.ofSeconds(600), 15_000));
        byte[] answer = "{\"returncode\":\"0\",\"message\":\"1.0\"}".getBytes(StandardCharsets.UTF_8);
        Thread dispatcher = new Thread(() -> {
            while (true) {
                try {
                    RawRequest r = exchange.receive();
                    if (r != null) {
                        exchange.reply(r, answer);
                    }
                } catch (Exception e) {
                    return;
                }
            }
        });
        dispatcher.setDaemon(true);
        dispatcher.start();
        byte[] request = "{\"name\":\"version\",\"value\":\"agent\"}".getBytes(StandardCharsets.UTF_8);
        String home = "/local/domain/1/";

        for (int round = 0; round < 2; round++) { // the first round warms up
            long[] nanos = new long[1000];
            for (int i = 0; i < nanos.length; i++) {
                String id = UUID.randomUUID().toString();
                Semaphore changed = new Semaphore(0);
                XenStoreClient.Watch watch = host.watch(home + "data/guest/" + id, (p, t) -> changed.release());
                changed.tryAcquire(5, TimeUnit.SECONDS); // the watch's first event
                long start = System.nanoTime();
                host.write(home + "data/host/" + id, request);
                for (int w = 0; w < 100 && host.readIfExists(home + "data/guest/" + id).isEmpty(); w++) {
                    changed.tryAcquire(100, TimeUnit.MILLISECONDS);
                }
                nanos[i] = System.nanoTime() - start;
                host.unwatch(watch);
                host.rm(home + "data/guest/" + id);
            }
            Arrays.sort(nanos);
            System.out.printf("%s: round trip p50 %.2f ms, p99 %.2f ms (1000 sequential requests)%n",
                    round == 0 ? "warm-up" : "measured", nanos[500] / 1e6, nanos[990] / 1e6);
        }

        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            ids.add(UUID.randomUUID().toString());
        }
        // Count answers through a watch: listing a directory of 10,000 nodes would cost more than serving them.
        Set<String> answered = ConcurrentHashMap.newKeySet();
        Semaphore progress = new Semaphore(0);
        host.watch(home + "data/guest", (path, token) -> {
            if (answered.add(path)) {
                progress.release();
            }
        });
        host.inTransaction(tx -> {
            for (String id : ids) {
                tx.write(home + "data/host/" + id, request);
            }
            return null;
        });
        long start = System.nanoTime();
        progress.tryAcquire(10_001, 300, TimeUnit.SECONDS); // the watch's first event, then one per answer
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("drained %d of 10000 requests written at once in %.2f s: %.0f requests/s%n",
                answered.size() - 1, seconds, (answered.size() - 1) / seconds);
        exchange.close();
        host.close();
        simulator.stop();
    }
}
