package org.guestagent.itests.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.guestagent.itests.robustness.AgentOnHost;
import org.guestagent.itests.robustness.HostSide;
import org.guestagent.itests.support.AgentBundles;
import org.guestagent.itests.support.Await;
import org.guestagent.itests.support.Json;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Both pairs in one launched agent (features guest-agent-core,guest-agent-xen,guest-agent-kvm): a Xen host (the XenStore simulator)
 * and a KVM host (QGA on a unix-listen socket) keep requests coming while a command bundle
 * (itests/sample-commands, whose sample_hello serves every protocol) is dropped into deploy/ and
 * removed again, three times. Every request on both is answered exactly once, with an answer it
 * may have: sample_hello's own while the bundle is there, the protocol's not-found answer when it
 * is not; and each pair saw the command come and go.
 */
@Timeout(value = 400, unit = TimeUnit.SECONDS)
class BothPairsUnderLoadTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration LIMIT = Duration.ofSeconds(60);
    private static final int CYCLES = 3;
    private static final String XEN_HELLO = Json.answer("0", "hello from vendor");
    private static final String XEN_MISSING = Json.answer("404", "No such agent command 'sample_hello'");

    private AgentOnHost run;

    @AfterEach
    void stop() throws Exception {
        if (run != null) {
            run.close();
        }
    }

    @Test
    void everyRequestOnBothPairsIsAnsweredWhileABundleComesAndGoes() throws Exception {
        run = AgentOnHost.prepare("both-pairs", 50_000);
        HostSide xen = run.host();
        Path qgaSocket = run.agent().home().getParent().resolve("qga.sock");
        run.agent().configure(QgaAgent.EXCHANGE_PID, "mode", "unix-listen");
        run.agent().configure(QgaAgent.EXCHANGE_PID, "path", qgaSocket.toString());
        run.agent().start("guest-agent-core,guest-agent-xen,guest-agent-kvm", xen.guestSocket());
        String version = xen.call(Json.request("version", "\"agent\""), Duration.ofSeconds(90));
        assertTrue(version.startsWith("{\"returncode\":\"0\""), version);
        Await.until("the QGA pair answers on " + qgaSocket, Duration.ofSeconds(60), () -> {
            try (QgaHost host = new QgaHost(qgaSocket)) {
                host.write("{\"execute\":\"guest-sync\",\"arguments\":{\"id\":1}}\n");
                byte[] line = host.answer();
                return line != null && new String(line, StandardCharsets.UTF_8).equals("{\"return\":1}\n");
            }
        });

        Path sample = AgentBundles.projectRoot().resolve("itests/sample-commands/target/sample-commands-0.1.0.jar");
        Path deployed = run.agent().home().resolve("deploy").resolve(sample.getFileName());
        XenLoad xenLoad = new XenLoad(xen, version);
        try (QgaLoad qgaLoad = new QgaLoad(qgaSocket)) {
            xenLoad.start();
            qgaLoad.start();
            for (int cycle = 0; cycle < CYCLES; cycle++) {
                Path staged = deployed.resolveSibling(".staged-" + sample.getFileName());
                Files.copy(sample, staged, StandardCopyOption.REPLACE_EXISTING);
                Files.move(staged, deployed, StandardCopyOption.ATOMIC_MOVE);
                int xenFrom = xenLoad.sent();
                int qgaFrom = qgaLoad.sent();
                Await.until("cycle " + cycle + ": sample_hello answered on both pairs", LIMIT,
                        () -> xenLoad.helloAnsweredSince(xenFrom) && qgaLoad.helloAnsweredSince(qgaFrom));
                Files.delete(deployed);
                int xenGone = xenLoad.sent();
                int qgaGone = qgaLoad.sent();
                Await.until("cycle " + cycle + ": sample_hello gone on both pairs", LIMIT,
                        () -> xenLoad.missingSince(xenGone) && qgaLoad.missingSince(qgaGone));
            }
            xenLoad.finish();
            qgaLoad.finish();
            assertNull(xenLoad.failure.get(), xenLoad.failure.get());
            assertNull(qgaLoad.failure.get(), qgaLoad.failure.get());
            System.out.println("BothPairsUnderLoadTest: " + xenLoad.sent() + " XenStore requests and " + qgaLoad.sent()
                    + " QGA requests answered over " + CYCLES + " install/remove cycles");
            assertTrue(xenLoad.sent() > 100 && qgaLoad.sent() > 100, "both hosts kept requests coming");
        } finally {
            xenLoad.stop();
        }
    }

    /** The Xen host: batches of 20 requests (version, sample_hello) written at once, each batch awaited. */
    private static final class XenLoad implements Runnable {
        private final HostSide host;
        private final String version;
        private final List<String> ids = java.util.Collections.synchronizedList(new ArrayList<>());
        private final Map<String, String> names = new ConcurrentHashMap<>();
        private final AtomicBoolean running = new AtomicBoolean(true);
        final AtomicReference<String> failure = new AtomicReference<>();
        private final Thread thread = new Thread(this, "xen-load");

        XenLoad(HostSide host, String version) {
            this.host = host;
            this.version = version;
        }

        void start() {
            thread.start();
        }

        @Override
        public void run() {
            try {
                int n = 0;
                while (running.get()) {
                    List<String> batch = new ArrayList<>();
                    for (int i = 0; i < 20; i++, n++) {
                        String name = n % 2 == 0 ? "version" : "sample_hello";
                        String id = host.send(String.format("%06d", n), Json.request(name, name.equals("version") ? "\"agent\"" : "\"\""));
                        names.put(id, name);
                        batch.add(id);
                    }
                    if (!host.awaitAnswered(batch, LIMIT)) {
                        failure.set("a XenStore batch was not answered within " + LIMIT.toSeconds() + " s");
                        return;
                    }
                    ids.addAll(batch);
                    for (String id : batch) {
                        List<String> answers = host.answersOf(id);
                        Set<String> allowed = names.get(id).equals("version") ? Set.of(version) : Set.of(XEN_HELLO, XEN_MISSING);
                        if (answers.size() != 1 || !allowed.contains(answers.get(0))) {
                            failure.set("XenStore request " + id + " (" + names.get(id) + ") answered " + answers);
                            return;
                        }
                    }
                }
            } catch (Exception e) {
                failure.set("XenStore load: " + e);
            }
        }

        /** Requests answered (and checked) so far. */
        int sent() {
            return ids.size();
        }

        boolean helloAnsweredSince(int from) {
            return answeredSince(from, XEN_HELLO);
        }

        boolean missingSince(int from) {
            return answeredSince(from, XEN_MISSING);
        }

        private boolean answeredSince(int from, String answer) {
            synchronized (ids) {
                return ids.subList(from, ids.size()).stream().anyMatch(id -> host.answersOf(id).contains(answer));
            }
        }

        void finish() throws InterruptedException {
            running.set(false);
            thread.join(LIMIT.toMillis());
            assertTrue(!thread.isAlive(), "the XenStore load ended");
        }

        void stop() throws InterruptedException {
            running.set(false);
            thread.join(LIMIT.toMillis());
        }
    }

    /**
     * The KVM host: one connection, requests with ids (guest-ping, sample_hello) written with at
     * most 100 awaiting their answer, answers read as they come and matched by id.
     */
    private static final class QgaLoad implements AutoCloseable {
        private final SocketChannel channel;
        private final Semaphore window = new Semaphore(100);
        private final AtomicInteger next = new AtomicInteger();
        private final Map<String, String> names = new ConcurrentHashMap<>();
        private final Map<String, List<String>> answers = new ConcurrentHashMap<>();
        /** Answered ids in the order the answers came. */
        private final List<String> answered = java.util.Collections.synchronizedList(new ArrayList<>());
        private final AtomicBoolean running = new AtomicBoolean(true);
        final AtomicReference<String> failure = new AtomicReference<>();
        private final Thread writer = new Thread(this::write, "qga-load-writer");
        private final Thread reader = new Thread(this::read, "qga-load-reader");

        QgaLoad(Path socket) throws IOException {
            channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            channel.connect(UnixDomainSocketAddress.of(socket));
        }

        void start() {
            reader.setDaemon(true);
            writer.setDaemon(true);
            reader.start();
            writer.start();
        }

        private void write() {
            try {
                while (running.get()) {
                    if (!window.tryAcquire(LIMIT.toSeconds(), TimeUnit.SECONDS)) {
                        failure.compareAndSet(null, "QGA: 100 requests unanswered for " + LIMIT.toSeconds() + " s");
                        return;
                    }
                    int n = next.getAndIncrement();
                    String id = "q" + n;
                    String name = n % 2 == 0 ? "guest-ping" : "sample_hello";
                    names.put(id, name);
                    ByteBuffer request = ByteBuffer.wrap(("{\"execute\":\"" + name + "\",\"id\":\"" + id + "\"}\n").getBytes(StandardCharsets.UTF_8));
                    while (request.hasRemaining()) {
                        channel.write(request);
                    }
                }
            } catch (Exception e) {
                failure.compareAndSet(null, "QGA writer: " + e);
            }
        }

        private void read() {
            ByteBuffer buffer = ByteBuffer.allocate(65536);
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            try {
                while (channel.read(buffer) >= 0) {
                    buffer.flip();
                    while (buffer.hasRemaining()) {
                        byte b = buffer.get();
                        if (b != '\n') {
                            line.write(b);
                            continue;
                        }
                        JsonNode answer = JSON.readTree(line.toByteArray());
                        line.reset();
                        String id = answer.path("id").asText();
                        answers.computeIfAbsent(id, k -> java.util.Collections.synchronizedList(new ArrayList<>())).add(answer.toString());
                        answered.add(id);
                        window.release();
                    }
                    buffer.clear();
                }
            } catch (Exception e) {
                if (running.get()) {
                    failure.compareAndSet(null, "QGA reader: " + e);
                }
            }
        }

        int sent() {
            return answered.size();
        }

        boolean helloAnsweredSince(int from) {
            return answeredSince(from, a -> a.startsWith("{\"return\":\"hello from vendor\""));
        }

        boolean missingSince(int from) {
            return answeredSince(from, a -> a.startsWith("{\"error\":{\"class\":\"CommandNotFound\""));
        }

        private boolean answeredSince(int from, java.util.function.Predicate<String> answer) {
            synchronized (answered) {
                return answered.subList(from, answered.size()).stream()
                        .filter(id -> "sample_hello".equals(names.get(id)))
                        .anyMatch(id -> answers.get(id).stream().anyMatch(answer));
            }
        }

        /** Stops writing, waits for the answers still owed, and checks every one. */
        void finish() throws InterruptedException {
            running.set(false);
            writer.join(LIMIT.toMillis());
            int written = next.get();
            Await.until("every QGA request answered (" + answered.size() + " of " + written + ")", LIMIT,
                    () -> answered.size() >= written);
            assertEquals(written, answered.size(), "as many answers as requests");
            for (int n = 0; n < written; n++) {
                String id = "q" + n;
                List<String> got = answers.get(id);
                if (got == null || got.size() != 1) {
                    fail("QGA request " + id + " answered " + got);
                }
                String a = got.get(0);
                boolean ok = names.get(id).equals("guest-ping")
                        ? a.equals("{\"return\":{},\"id\":\"" + id + "\"}")
                        : a.equals("{\"return\":\"hello from vendor\",\"id\":\"" + id + "\"}")
                                || a.equals("{\"error\":{\"class\":\"CommandNotFound\",\"desc\":\"The command sample_hello has not been found\"},\"id\":\"" + id + "\"}");
                assertTrue(ok, "QGA request " + id + " (" + names.get(id) + ") answered " + a);
            }
        }

        @Override
        public void close() throws IOException {
            running.set(false);
            channel.close();
        }
    }
}
