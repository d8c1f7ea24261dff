package org.guestagent.exchange.xenstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.guestagent.api.transport.RawRequest;
import org.guestagent.xenstore.XenStoreClient;
import org.guestagent.xenstore.XenStoreTransport;
import org.guestagent.xenstore.XsMessage;
import org.guestagent.xenstore.simulator.XenStoreSimulator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real exchange against the real simulator, with a stand-in parser and dispatch loop. */
class XenStoreExchangeTest {

    private static final String HOME = "/local/domain/1/";
    private static final Duration NO_RESCAN = Duration.ofHours(1);

    @TempDir
    Path dir;
    Path guestSocket;
    Path hostSocket;
    XenStoreSimulator simulator;
    Process simulatorProcess;
    XenStoreClient host;
    XenStoreExchange exchange;
    Thread dispatcher;
    volatile boolean running = true;
    /** Ids in the order the parser saw them. */
    final List<String> handled = new CopyOnWriteArrayList<>();
    final List<Throwable> dispatchFailures = new CopyOnWriteArrayList<>();
    /** When set, the parser waits on it before answering this id. */
    volatile String holdId;
    final CountDownLatch holding = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    /** How startExchange configures the exchange: by default as XenStoreExchangeConfig does. */
    Duration answerLifetime = Duration.ofSeconds(600);
    int answerCap = 500;

    @AfterEach
    void stopAll() throws InterruptedException {
        running = false;
        release.countDown();
        if (exchange != null) {
            exchange.close();
        }
        if (dispatcher != null) {
            dispatcher.join(5000);
        }
        if (host != null) {
            host.close();
        }
        if (simulator != null) {
            simulator.stop();
        }
        if (simulatorProcess != null) {
            simulatorProcess.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
        assertEquals(List.of(), dispatchFailures, "the dispatch loop hit exceptions");
    }

    private void startSimulatorInProcess() throws IOException {
        guestSocket = dir.resolve("guest.sock");
        hostSocket = dir.resolve("host.sock");
        simulator = new XenStoreSimulator(1, null).start(guestSocket).listen(hostSocket, 0);
        host = XenStoreClient.open(XenStoreTransport.unixSocket(hostSocket));
    }

    private void startExchange(XenStoreTransport transport, Duration rescan) {
        exchange = new XenStoreExchange();
        exchange.start(XenStoreClient.openReconnecting(transport, Duration.ofSeconds(10)),
                new XenStoreExchange.Settings("data/host", "data/guest", rescan, Duration.ofSeconds(20), answerLifetime, answerCap));
        dispatcher = new Thread(this::dispatchLoop, "test-dispatcher");
        dispatcher.setDaemon(true);
        dispatcher.start();
    }

    /** What the core's dispatcher does: receive, parse, reply; never dies on a bad request. */
    private void dispatchLoop() {
        while (running) {
            try {
                RawRequest request = exchange.receive();
                if (request != null) {
                    exchange.reply(request, parse(request));
                }
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                if (running) { // a reply cut off by the test's own shutdown is no failure
                    dispatchFailures.add(e);
                }
            }
        }
    }

    /** A stand-in parser: valid UTF-8 starting with '{' is a good request, anything else a 500. */
    private byte[] parse(RawRequest request) throws InterruptedException {
        handled.add(request.id());
        if (request.id().equals(holdId)) {
            holding.countDown();
            release.await(20, TimeUnit.SECONDS);
        }
        String code;
        try {
            String text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(request.body())).toString();
            code = text.startsWith("{") ? "0" : "500";
        } catch (CharacterCodingException e) {
            code = "500";
        }
        return ("{\"returncode\": \"" + code + "\", \"message\": \"" + request.body().length + "\"}")
                .getBytes(StandardCharsets.UTF_8);
    }

    private static String request(String name) {
        return "{\"name\": \"" + name + "\", \"value\": \"\"}";
    }

    private String awaitResponse(String id) throws IOException, InterruptedException {
        for (int i = 0; i < 1000; i++) { // at most 10 s
            Optional<byte[]> answer = host.readIfExists(HOME + "data/guest/" + id);
            if (answer.isPresent()) {
                return new String(answer.get(), StandardCharsets.UTF_8);
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no answer to " + id + " within 10 s");
    }

    private static void await(String what, Predicate<Void> condition) throws InterruptedException {
        for (int i = 0; i < 3000 && !condition.test(null); i++) {
            Thread.sleep(10);
        }
        assertTrue(condition.test(null), what);
    }

    @Test
    void answersEachRequestOnceInArrivalOrderDrivenByTheWatch() throws Exception {
        startSimulatorInProcess();
        startExchange(XenStoreTransport.unixSocket(guestSocket), NO_RESCAN); // no rescan: only the watch finds them
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            String id = UUID.randomUUID().toString();
            ids.add(id);
            host.write(HOME + "data/host/" + id, request("version"));
        }
        for (String id : ids) {
            assertEquals("{\"returncode\": \"0\", \"message\": \"" + request("version").length() + "\"}", awaitResponse(id));
        }
        assertEquals(ids, handled, "each once, in arrival order");
        assertEquals(List.of(), host.directory(HOME + "data/host"), "request nodes removed");
    }

    @Test
    void requestsWrittenBeforeTheAgentStartsAreFound() throws Exception {
        startSimulatorInProcess();
        String id = UUID.randomUUID().toString();
        host.write(HOME + "data/host/" + id, request("features"));
        startExchange(XenStoreTransport.unixSocket(guestSocket), NO_RESCAN);
        awaitResponse(id);
    }

    @Test
    void aRequestTheHostDeletedMidFlightIsDroppedQuietly() throws Exception {
        startSimulatorInProcess();
        startExchange(XenStoreTransport.unixSocket(guestSocket), NO_RESCAN);
        String withdrawn = UUID.randomUUID().toString();
        holdId = withdrawn;
        host.write(HOME + "data/host/" + withdrawn, request("password"));
        assertTrue(holding.await(10, TimeUnit.SECONDS));
        host.rm(HOME + "data/host/" + withdrawn); // the host gave up
        String next = UUID.randomUUID().toString();
        host.write(HOME + "data/host/" + next, request("version"));
        release.countDown();
        awaitResponse(next);
        assertTrue(host.readIfExists(HOME + "data/guest/" + withdrawn).isEmpty(), "no answer for a withdrawn request");
        assertEquals(List.of(withdrawn, next), handled);
    }

    @Test
    void garbageInvalidUtf8FullSizeAndEmptyNodesGetA500AndTheDispatcherLives() throws Exception {
        startSimulatorInProcess();
        startExchange(XenStoreTransport.unixSocket(guestSocket), NO_RESCAN);
        String path = HOME + "data/host/";
        String garbage = UUID.randomUUID().toString();
        String invalidUtf8 = UUID.randomUUID().toString();
        String full = UUID.randomUUID().toString();
        String empty = UUID.randomUUID().toString();
        byte[] noise = new byte[512];
        new java.util.Random(42).nextBytes(noise);
        host.write(path + garbage, noise);
        host.write(path + invalidUtf8, new byte[] {'{', (byte) 0xc3, (byte) 0x28, (byte) 0xff});
        byte[] fullSize = new byte[XsMessage.PAYLOAD_MAX - (path + full).length() - 1]; // the largest node a host can write
        java.util.Arrays.fill(fullSize, (byte) 'x');
        host.write(path + full, fullSize);
        host.write(path + empty, new byte[0]);
        String good = UUID.randomUUID().toString();
        host.write(path + good, request("version"));

        assertTrue(awaitResponse(garbage).contains("\"500\""));
        assertTrue(awaitResponse(invalidUtf8).contains("\"500\""));
        assertEquals("{\"returncode\": \"500\", \"message\": \"" + fullSize.length + "\"}", awaitResponse(full));
        assertEquals("{\"returncode\": \"500\", \"message\": \"0\"}", awaitResponse(empty));
        assertTrue(awaitResponse(good).contains("\"0\""));
    }

    @Test
    void aThousandRequestsWrittenInOneTransactionAreAllAnswered() throws Exception {
        startSimulatorInProcess();
        // A host that queues 1,000 requests for one guest needs a raised quota (xenstored
        // --entry-nb): its requests are the guest's nodes. The agent is told the same quota.
        simulator.nodeQuota(5000);
        answerCap = 2500;
        startExchange(XenStoreTransport.unixSocket(guestSocket), NO_RESCAN);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            ids.add(UUID.randomUUID().toString());
        }
        host.inTransaction(tx -> {
            for (String id : ids) {
                tx.write(HOME + "data/host/" + id, request("version"));
            }
            return null;
        });
        await("all 1000 answered", x -> handled.size() == 1000 && dirSize(HOME + "data/guest") == 1000);
        assertEquals(ids, handled);
        assertEquals(List.of(), host.directory(HOME + "data/host"));
    }

    @Test
    void withTheDefaultQuotaTheAnswersStayUnderTheirCapAndTheNewestStay() throws Exception {
        startSimulatorInProcess();
        answerCap = 100;
        startExchange(XenStoreTransport.unixSocket(guestSocket), NO_RESCAN);
        int maxAnswers = 0;
        List<String> ids = new ArrayList<>();
        for (int round = 0; round < 30; round++) { // 30 rounds of 20 requests, as a host with 20 callers
            List<String> batch = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                String id = String.format("%03d-%02d-%s", round, i, UUID.randomUUID());
                batch.add(id);
                host.write(HOME + "data/host/" + id, request("version"));
            }
            for (String id : batch) {
                assertTrue(awaitResponse(id).contains("\"0\""), id);
            }
            ids.addAll(batch);
            maxAnswers = Math.max(maxAnswers, dirSize(HOME + "data/guest"));
            assertTrue(simulator.nodesOwnedBy(1) < XenStoreSimulator.DEFAULT_NODE_QUOTA);
        }
        assertTrue(maxAnswers <= 100, "at most the cap of answers at any time: " + maxAnswers);
        List<String> left = host.directory(HOME + "data/guest");
        assertTrue(left.size() >= 80 && left.size() <= 100, "the oldest went, as few as the cap needed: " + left.size());
        assertEquals(ids.subList(ids.size() - left.size(), ids.size()), left, "the newest answers stay, in order");
    }

    @Test
    void answersOlderThanTheirLifetimeAreRemoved() throws Exception {
        startSimulatorInProcess();
        answerLifetime = Duration.ofSeconds(1);
        startExchange(XenStoreTransport.unixSocket(guestSocket), NO_RESCAN);
        String id = UUID.randomUUID().toString();
        host.write(HOME + "data/host/" + id, request("version"));
        assertTrue(awaitResponse(id).contains("\"0\""));
        await("the answer removed after its lifetime", x -> dirSize(HOME + "data/guest") == 0);
        assertEquals(List.of(), host.directory(HOME + "data/guest"), "the folder itself stays");
    }

    @Test
    void atStartTheAnswersFolderIsCreatedOrItsAnswersTakenOver() throws Exception {
        startSimulatorInProcess();
        List<String> earlier = new ArrayList<>();
        for (int i = 0; i < 130; i++) {
            earlier.add(String.format("earlier-%03d", i));
        }
        host.inTransaction(tx -> {
            for (String id : earlier) {
                tx.write(HOME + "data/guest/" + id, "{}");
            }
            return null;
        });
        answerCap = 100;
        startExchange(XenStoreTransport.unixSocket(guestSocket), NO_RESCAN);
        await("an earlier run's answers beyond the cap removed, oldest first", x -> dirSize(HOME + "data/guest") <= 100);
        List<String> left = host.directory(HOME + "data/guest");
        assertEquals(earlier.subList(earlier.size() - left.size(), earlier.size()), left);

        exchange.close();
        host.rm(HOME + "data/guest");
        startExchange(XenStoreTransport.unixSocket(guestSocket), NO_RESCAN);
        await("the answers folder created at start", x -> {
            try {
                return host.readIfExists(HOME + "data/guest").isPresent();
            } catch (IOException e) {
                return false;
            }
        });
    }

    @Test
    void survivesTheSimulatorBeingKilledAndRestartedWithRequestsPending() throws Exception {
        guestSocket = dir.resolve("guest.sock");
        hostSocket = dir.resolve("host.sock");
        Path state = dir.resolve("xenstore.state");
        startSimulatorProcess(state);
        host = XenStoreClient.open(XenStoreTransport.unixSocket(hostSocket));
        startExchange(XenStoreTransport.unixSocket(guestSocket), Duration.ofSeconds(2));

        String first = UUID.randomUUID().toString();
        host.write(HOME + "data/host/" + first, request("version"));
        awaitResponse(first);

        // One request held in the parser, more waiting in XenStore, when xenstored dies.
        List<String> pending = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            pending.add(UUID.randomUUID().toString());
        }
        holdId = pending.get(0);
        for (String id : pending) {
            host.write(HOME + "data/host/" + id, request("version"));
        }
        assertTrue(holding.await(10, TimeUnit.SECONDS));
        // The simulator acknowledges a write before it saves its state (both under one lock):
        // one more round trip makes sure the last write is saved before the kill.
        host.directory(HOME + "data/host");
        simulatorProcess.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        host.close();

        startSimulatorProcess(state);
        host = XenStoreClient.open(XenStoreTransport.unixSocket(hostSocket));
        for (int i = 0; i < 5; i++) {
            String id = UUID.randomUUID().toString();
            pending.add(id);
            host.write(HOME + "data/host/" + id, request("version"));
        }
        release.countDown();
        for (String id : pending) {
            assertTrue(awaitResponse(id).contains("\"0\""));
        }
        assertEquals(List.of(), host.directory(HOME + "data/host"));
    }

    @Test
    void closingWritesEveryAnswerAlreadyHandedOver() throws Exception {
        startSimulatorInProcess();
        exchange = new XenStoreExchange();
        exchange.start(XenStoreClient.openReconnecting(XenStoreTransport.unixSocket(guestSocket), Duration.ofSeconds(10)),
                new XenStoreExchange.Settings("data/host", "data/guest", NO_RESCAN, Duration.ofSeconds(20)));
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            String id = UUID.randomUUID().toString();
            ids.add(id);
            host.write(HOME + "data/host/" + id, request("version"));
        }
        // receive and answer all 50 with no pause, then close at once: the replier is behind
        for (String id : ids) {
            RawRequest request = null;
            for (int tries = 0; request == null && tries < 100; tries++) {
                request = exchange.receive();
            }
            assertEquals(id, request.id());
            exchange.reply(request, parse(request));
        }
        exchange.close();
        exchange = null;
        for (String id : ids) {
            assertTrue(host.readIfExists(HOME + "data/guest/" + id).isPresent(), "answer to " + id);
        }
        assertEquals(List.of(), host.directory(HOME + "data/host"));
    }

    @Test
    void servesAnExternalXenstoredNamedByXenstoredPath() throws Exception {
        startSimulatorInProcess();
        // what the component does with the process environment
        XenStoreTransport transport = XenStoreTransport.choose("auto", "", "", Map.of("XENSTORED_PATH", guestSocket.toString()));
        assertEquals("socket:" + guestSocket, transport.describe());
        startExchange(transport, NO_RESCAN);
        String id = UUID.randomUUID().toString();
        host.write(HOME + "data/host/" + id, request("version"));
        awaitResponse(id);
        assertEquals("xenstore:socket:" + guestSocket, exchange.describe());
    }

    @Test
    void hostDataReadsVmData() throws Exception {
        startSimulatorInProcess();
        host.write(HOME + "vm-data/hostname", "guest-1");
        host.write(HOME + "vm-data/networking/DEADBEEF0001", "{\"mac\": \"DE:AD:BE:EF:00:01\"}");
        try (XenStoreClient guest = XenStoreClient.open(XenStoreTransport.unixSocket(guestSocket))) {
            XenStoreHostData data = new XenStoreHostData(guest);
            assertEquals(Optional.of("guest-1"), data.read("hostname"));
            assertEquals(Optional.empty(), data.read("missing"));
            assertEquals(List.of("DEADBEEF0001"), data.children("networking"));
            assertEquals(List.of(), data.children("nothing"));
            assertTrue(data.read("networking/DEADBEEF0001").orElseThrow().contains("DE:AD"));
            assertEquals("vm-data/networking/DEADBEEF0001", data.where("networking/DEADBEEF0001"));
        }
    }

    private int dirSize(String path) {
        try {
            return host.directory(path).size();
        } catch (IOException e) {
            return -1;
        }
    }

    private void startSimulatorProcess(Path state) throws IOException, InterruptedException {
        Files.deleteIfExists(guestSocket); // stale sockets of a killed simulator
        Files.deleteIfExists(hostSocket);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        simulatorProcess = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                XenStoreSimulator.class.getName(), "--socket", guestSocket.toString(), "--domid", "1",
                "--dom0-socket", hostSocket.toString(), "--state", state.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("simulator.log").toFile()).start();
        // a socket file exists from bind(), a moment before listen(): probe with a real connect
        await("the simulator process listens", x -> simulatorProcess.isAlive() && accepts(hostSocket)
                && accepts(guestSocket));
    }

    private static boolean accepts(Path socket) {
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            probe.connect(UnixDomainSocketAddress.of(socket));
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
