package org.guestagent.exchange.virtioserial;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.annotation.Annotation;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.guestagent.api.transport.RawRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VirtioSerialExchangeTest {
    @TempDir
    Path dir;
    private final VirtioSerialExchange exchange = new VirtioSerialExchange();
    private int idlePollMillis = 100;

    private void start(int outputLimit) throws IOException {
        start("unix-listen", dir.resolve("qga.sock"), outputLimit);
    }

    private void start(String mode, Path path, int outputLimit) throws IOException {
        exchange.activate(new VirtioSerialExchangeConfig() {
            public Class<? extends Annotation> annotationType() { return VirtioSerialExchangeConfig.class; }
            public String mode() { return mode; }
            public String path() { return path.toString(); }
            public int output_buffer_bytes() { return outputLimit; }
            public int request_max_bytes() { return 1 << 20; }
            public int idle_poll_millis() { return idlePollMillis; }
        });
        exchange.receiveWaitMillis = 1000;
    }

    @AfterEach
    void stop() throws InterruptedException {
        exchange.deactivate();
    }

    private SocketChannel connect() throws IOException {
        SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
        c.connect(UnixDomainSocketAddress.of(dir.resolve("qga.sock")));
        return c;
    }

    private static void write(SocketChannel c, String text) throws IOException {
        c.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
    }

    /** Polls receive() (which here gives null after a second without requests) for up to 30 s. */
    private RawRequest next() throws Exception {
        for (int i = 0; i < 30; i++) {
            RawRequest r = exchange.receive();
            if (r != null) {
                return r;
            }
        }
        return null;
    }

    private static String text(RawRequest r) {
        return new String(r.body(), StandardCharsets.UTF_8);
    }

    @Test
    void splitsBatchedAndPartialWritesAndAnswersTheConnection() throws Exception {
        start(1 << 20);
        try (SocketChannel host = connect()) {
            write(host, "{\"execute\":\"a\"}{\"execute\":\"b\", \"arguments\":{\"s\":\"}{\\\"\"}}\n{\"exec");
            RawRequest a = next();
            assertEquals("{\"execute\":\"a\"}", text(a));
            assertEquals("{\"execute\":\"b\", \"arguments\":{\"s\":\"}{\\\"\"}}", text(next()));
            write(host, "ute\":\"c\"}");
            assertEquals("{\"execute\":\"c\"}", text(next()));
            exchange.reply(a, "{\"return\": {}}\n".getBytes(StandardCharsets.UTF_8));
            ByteBuffer in = ByteBuffer.allocate(100);
            while (in.position() < 15) {
                assertTrue(host.read(in) > 0, "connection open");
            }
            assertEquals("{\"return\": {}}\n", new String(in.array(), 0, in.position(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void theResetByteDropsTheHalfRequestAndIsPassedOn() throws Exception {
        start(1 << 20);
        try (SocketChannel host = connect()) {
            host.write(ByteBuffer.wrap(new byte[] {'{', '"', 'x', (byte) 0xFF, '{', '}'}));
            assertArrayEquals(new byte[] {(byte) 0xFF}, next().body());
            assertEquals("{}", text(next()));
        }
    }

    @Test
    void aHalfRequestDoesNotSurviveAReconnect() throws Exception {
        start(1 << 20);
        try (SocketChannel first = connect()) {
            write(first, "{\"execute\":\"guest-sy");
        }
        try (SocketChannel second = connect()) {
            write(second, "{\"execute\":\"guest-ping\"}");
            assertEquals("{\"execute\":\"guest-ping\"}", text(next()));
        }
    }

    @Test
    void requestsOfAHostThatLeftAreDroppedAndItsAnswersToo() throws Exception {
        start(1 << 20);
        RawRequest old;
        try (SocketChannel first = connect()) {
            StringBuilder many = new StringBuilder();
            for (int i = 0; i < 5000; i++) {
                many.append("{\"execute\":\"guest-ping\",\"id\":").append(i).append('}');
            }
            write(first, many.toString()); // more than the exchange queues: its reader waits for the dispatcher
            old = next();
            assertNotNull(old);
        }
        try (SocketChannel second = connect()) {
            write(second, "{\"execute\":\"new\"}");
            exchange.reply(old, "{\"return\": {}}\n".getBytes(StandardCharsets.UTF_8)); // dropped
            int oldSeen = 0;
            RawRequest r = next();
            while (r != null && !text(r).equals("{\"execute\":\"new\"}")) {
                oldSeen++;
                r = next();
            }
            assertNotNull(r, "the new host's request arrived");
            assertTrue(oldSeen < 4999, "the old host's backlog was dropped, " + oldSeen + " of it seen");
            exchange.reply(r, "{\"return\": 1}\n".getBytes(StandardCharsets.UTF_8));
            ByteBuffer in = ByteBuffer.allocate(100);
            while (in.position() < 14) {
                assertTrue(second.read(in) > 0);
            }
            assertEquals("{\"return\": 1}\n", new String(in.array(), 0, in.position(), StandardCharsets.UTF_8));
        }
    }

    /** CPU seconds the exchange's own threads (named qga-...) have used so far. */
    private static double exchangeCpuSeconds() {
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        double total = 0;
        for (java.lang.management.ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info != null && info.getThreadName().startsWith("qga-")) {
                total += Math.max(0, threads.getThreadCpuTime(info.getThreadId())) / 1e9;
            }
        }
        return total;
    }

    @Test
    void aStalledHostCostsNoCpu() throws Exception {
        start(256 * 1024);
        try (SocketChannel host = connect()) {
            StringBuilder many = new StringBuilder();
            for (int i = 0; i < 20000; i++) {
                many.append("{\"execute\":\"guest-ping\"}");
            }
            byte[] requests = many.toString().getBytes(StandardCharsets.UTF_8);
            Thread writer = new Thread(() -> {
                try {
                    host.write(ByteBuffer.wrap(requests)); // the host writes and never reads
                } catch (IOException e) {
                    // dropped
                }
            });
            writer.setDaemon(true);
            writer.start();
            // play the dispatcher: answer what arrives until nothing more does
            byte[] answer = new byte[200];
            int answered = 0;
            RawRequest r;
            while ((r = exchange.receive()) != null) {
                exchange.reply(r, answer);
                answered++;
            }
            assertTrue(answered > 0, "requests arrived");
            double before = exchangeCpuSeconds();
            long wallBefore = System.nanoTime();
            Thread.sleep(2000);
            double used = exchangeCpuSeconds() - before;
            double wall = (System.nanoTime() - wallBefore) / 1e9;
            assertTrue(used < wall * 0.2, "the exchange's threads used " + used + " s of CPU in " + wall + " s with a stalled host");
        }
    }

    @Test
    void aVirtioPortWithoutHostIsWaitedOnQuietly() throws Exception {
        // an empty regular file stands in for a port with no host: every read sees end of file
        Path port = java.nio.file.Files.createFile(dir.resolve("port"));
        start("virtio-serial", port, 1 << 20);
        Thread.sleep(500);
        double before = exchangeCpuSeconds();
        long wallBefore = System.nanoTime();
        Thread.sleep(2000);
        double used = exchangeCpuSeconds() - before;
        double wall = (System.nanoTime() - wallBefore) / 1e9;
        assertTrue(used < wall * 0.2, "the port thread used " + used + " s of CPU in " + wall + " s with no host");
    }

    @Test
    void aMissingPortIsWaitedForThroughFileNotification() throws Exception {
        // the port and its folder appear later, as /dev/virtio-ports/... when the host adds the channel
        Path port = dir.resolve("virtio-ports/org.qemu.guest_agent.0");
        idlePollMillis = 600_000; // a timer would not look again within the test: only the notification can
        start("virtio-serial", port, 1 << 20);
        Thread.sleep(300);
        java.nio.file.Files.createDirectories(port.getParent());
        assertEquals(0, new ProcessBuilder("mkfifo", port.toString()).start().waitFor());
        // opened for reading and writing: does not wait for the exchange to open its end
        try (java.io.RandomAccessFile host = new java.io.RandomAccessFile(port.toFile(), "rw")) {
            host.write("{\"execute\":\"guest-ping\",\"id\":7}".getBytes(StandardCharsets.UTF_8));
            RawRequest r = next();
            assertNotNull(r, "the request on the port that appeared arrived");
            assertEquals("{\"execute\":\"guest-ping\",\"id\":7}", text(r));
        }
    }

    @Test
    void awaitCreatedReturnsOnceTheFileAndItsFoldersExist() throws Exception {
        Path file = dir.resolve("a/b/port");
        Thread waiter = new Thread(() -> {
            try {
                VirtioSerialExchange.awaitCreated(file);
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        waiter.start();
        Thread.sleep(200);
        java.nio.file.Files.createDirectories(file.getParent());
        Thread.sleep(200);
        java.nio.file.Files.createFile(file);
        waiter.join(30_000);
        assertTrue(!waiter.isAlive(), "awaitCreated still waits after " + file + " was created");
    }

    @Test
    void aVirtioPortCarriesRequestsAndAnswers() throws Exception {
        // a FIFO stands in for a port with a host: the agent's answer comes back through it, so it
        // arrives again as the next "request"
        Path port = dir.resolve("fifo");
        assertEquals(0, new ProcessBuilder("mkfifo", port.toString()).start().waitFor());
        start("virtio-serial", port, 1 << 20);
        Thread.sleep(300); // let the exchange open the FIFO first, so opening it to write does not block
        try (java.io.FileOutputStream host = new java.io.FileOutputStream(port.toFile())) {
            host.write("{\"execute\":\"guest-ping\",\"id\":1}".getBytes(StandardCharsets.UTF_8));
            host.flush();
            RawRequest r = next();
            assertNotNull(r, "the request arrived");
            assertEquals("{\"execute\":\"guest-ping\",\"id\":1}", text(r));
            exchange.reply(r, "{\"return\":{},\"id\":1}\n".getBytes(StandardCharsets.UTF_8));
            RawRequest echoed = next();
            assertNotNull(echoed, "the answer went out on the port");
            assertEquals("{\"return\":{},\"id\":1}", text(echoed));
        }
    }

    @Test
    void aHostThatStopsReadingIsDroppedOnceItsBufferIsFull() throws Exception {
        start(64 * 1024);
        try (SocketChannel host = connect()) {
            write(host, "{\"execute\":\"big\"}");
            RawRequest r = next();
            byte[] answer = new byte[32 * 1024];
            java.util.Arrays.fill(answer, (byte) 'x');
            // the socket buffers take some; the host reads nothing, so the bounded buffer fills and the connection goes
            List<Integer> sent = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                exchange.reply(r, answer);
                sent.add(i);
            }
            // the host's end sees the end of the stream after whatever was in flight
            ByteBuffer in = ByteBuffer.allocate(1 << 16);
            long total = 0;
            int n;
            while ((n = host.read(in)) >= 0) {
                total += n;
                in.clear();
            }
            assertTrue(total < 1000L * answer.length, "the backlog was dropped, got " + total + " bytes");
        }
    }
}
