package org.guestagent.itests.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * qemu-ga 7.2's first three faults, put to the launched distribution's QGA pair (features
 * guest-agent-core,guest-agent-kvm, mode unix-listen): a host that stops reading (qemu-ga spins on write, a core busy);
 * a host that leaves with 10,000 requests queued (qemu-ga makes the next host wait for the drain);
 * a half-sent request before a reconnect (qemu-ga's parser keeps it and spoils the next host's
 * first request). The fourth, SIGTERM, is {@link QgaSigtermTest}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class QgaFaultsTest {
    /** A window over which the agent's CPU time is measured. */
    private static final Duration WINDOW = Duration.ofSeconds(5);
    /** Near idle: at most this share of one core over a window (a spinning writer takes all of it). */
    private static final double IDLE_SHARE = 0.10;
    private static final Duration SETTLE_LIMIT = Duration.ofSeconds(90);
    private static final Duration ANSWER_LIMIT = Duration.ofSeconds(30);
    private static final String GUEST_INFO = "{\"execute\":\"guest-info\"}\n";

    private QgaAgent agent;

    @BeforeAll
    void startAgent() throws Exception {
        agent = QgaAgent.prepare("qga-faults");
        agent.start("guest-agent-core,guest-agent-kvm", null);
    }

    @AfterAll
    void stopAgent() throws Exception {
        if (agent != null) {
            agent.close();
        }
    }

    /**
     * Fault 1: the host sends guest-info requests whose answers are twice the socket's buffers and
     * more, then never reads (and stays connected). The agent's writer blocks on the full socket:
     * within a bound its CPU time settles to near idle, and the answers it holds all reach the host
     * once it reads again.
     */
    @Test
    void aHostThatStopsReadingLeavesTheAgentIdleAndGetsItsAnswersLater() throws Exception {
        try (SocketChannel host = connect()) {
            int answerBytes = readLine(host, write(host, GUEST_INFO)).length;
            int receiveBuffer = host.getOption(java.net.StandardSocketOptions.SO_RCVBUF);
            // well beyond what the kernel holds for the socket (both ends), well below output.buffer.bytes (4 MiB)
            int requests = Math.max(200, (2 * 1024 * 1024) / answerBytes + 1);
            write(host, GUEST_INFO.repeat(requests));

            List<Double> shares = settle(agent);
            System.out.printf(Locale.ROOT, "QgaFaultsTest stalled host: %d guest-info requests (%d bytes each answer, host's receive buffer %d);"
                    + " agent CPU share per %d s window until settled: %s%n", requests, answerBytes, receiveBuffer, WINDOW.toSeconds(), shares);

            // the host reads again: every answer was kept
            ByteBuffer leftover = ByteBuffer.allocate(0);
            for (int i = 0; i < requests; i++) {
                byte[] line = readLine(host, leftover);
                assertEquals(answerBytes, line.length, "answer " + (i + 1) + " of " + requests);
                leftover = lastLeftover;
            }
            assertSyncs(host, 4242, lastLeftover);
        }
    }

    /**
     * The stalled host goes on until more than output.buffer.bytes of answers wait: the agent
     * drops that connection and its backlog rather than hold or spin, settles to near idle, and a
     * new host is answered.
     */
    @Test
    void aHostStalledBeyondTheOutputBufferIsDroppedAndTheAgentStaysIdle() throws Exception {
        try (SocketChannel host = connect()) {
            int answerBytes = readLine(host, write(host, GUEST_INFO)).length;
            int requests = (6 * 1024 * 1024) / answerBytes + 1; // 6 MiB of answers against a 4 MiB buffer
            write(host, GUEST_INFO.repeat(requests));
            List<Double> shares = settle(agent);
            System.out.printf(Locale.ROOT, "QgaFaultsTest host stalled beyond the buffer: %d requests; CPU share per window: %s%n",
                    requests, shares);
            String log = Files.readString(agent.run().logFile());
            assertTrue(log.contains("does not read its answers"), "the agent logs why it dropped the host\n" + agent.run().diagnostics());
        }
        assertTrue(agent.syncs(), "a new host is answered");
    }

    /**
     * Fault 2: a host writes 10,000 requests without reading and disconnects as soon as the last
     * byte is written (what the agent has not handled by then waits in its queue and the socket).
     * A new host's guest-sync is answered, and it is the first thing the new host receives (nothing
     * of the old host's queue reaches it). The answers to the queued requests stay below
     * output.buffer.bytes, so the agent reads them all rather than drop the host for stalling.
     */
    @Test
    void aNewHostIsAnsweredAtOnceAfterOneLeftWith10000RequestsQueued() throws Exception {
        String queued = "{\"execute\":\"guest-get-osinfo\"}\n{\"execute\":\"guest-get-time\"}\n".repeat(5_000);
        try (SocketChannel leaving = connect()) {
            write(leaving, queued);
        }
        long started = System.nanoTime();
        try (SocketChannel host = connect()) {
            assertSyncs(host, 77, ByteBuffer.allocate(0));
            double millis = (System.nanoTime() - started) / 1e6;
            System.out.printf(Locale.ROOT, "QgaFaultsTest: the new host's guest-sync answered %.1f ms after the old host left 10,000 requests%n", millis);
            write(host, "{\"execute\":\"guest-ping\",\"id\":\"after\"}\n");
            assertEquals("{\"return\":{},\"id\":\"after\"}\n", new String(readLine(host, lastLeftover), StandardCharsets.UTF_8));
        }
    }

    /**
     * Fault 3: half a request, then the host leaves (or a new host takes over while the first still
     * holds its half): the next host's request is answered as if nothing came before it.
     */
    @Test
    void aHalfRequestDoesNotSpoilTheNextHostsRequest() throws Exception {
        try (SocketChannel leaving = connect()) {
            write(leaving, "{\"execute\":\"guest-sync\",\"arguments\":{\"id\":");
        }
        try (SocketChannel host = connect()) {
            assertSyncs(host, 11, ByteBuffer.allocate(0));
        }
        try (SocketChannel first = connect()) {
            write(first, "{\"execute\":\"guest-ping\",\"arguments\":{\"note\":\"an unterminated string {[");
            // make sure the agent has read the half request before the next host comes
            Thread.sleep(200);
            try (SocketChannel second = connect()) {
                assertSyncs(second, 12, ByteBuffer.allocate(0));
            }
        }
        // and a request split over two writes of one host is still one request
        try (SocketChannel host = connect()) {
            write(host, "{\"execute\":\"guest-sync\",\"argu");
            Thread.sleep(50);
            assertSyncs(host, "ments\":{\"id\":13}}\n", 13, ByteBuffer.allocate(0));
        }
    }

    /**
     * Measures the agent's CPU time over consecutive windows until one stays below the idle share,
     * within {@link #SETTLE_LIMIT} (an agent spinning on a full socket never gets there); returns
     * the shares seen.
     */
    static List<Double> settle(QgaAgent agent) throws Exception {
        List<Double> shares = new ArrayList<>();
        long deadline = System.nanoTime() + SETTLE_LIMIT.toNanos();
        while (true) {
            double before = agent.cpuSeconds();
            long from = System.nanoTime();
            Thread.sleep(WINDOW.toMillis());
            double share = (agent.cpuSeconds() - before) / ((System.nanoTime() - from) / 1e9);
            shares.add(Math.round(share * 1000) / 1000.0);
            if (share <= IDLE_SHARE) {
                return shares;
            }
            if (System.nanoTime() > deadline) {
                fail("the agent's CPU share per " + WINDOW.toSeconds() + " s window stayed above " + IDLE_SHARE + " for "
                        + SETTLE_LIMIT.toSeconds() + " s: " + shares + "\n" + agent.run().diagnostics());
            }
        }
    }

    private SocketChannel connect() throws IOException {
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        channel.connect(UnixDomainSocketAddress.of(agent.socket()));
        return channel;
    }

    private static ByteBuffer write(SocketChannel channel, String text) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
        return ByteBuffer.allocate(0);
    }

    private void assertSyncs(SocketChannel host, long id, ByteBuffer leftover) throws Exception {
        write(host, "{\"execute\":\"guest-sync\",\"arguments\":{\"id\":" + id + "}}\n");
        assertSyncs(host, "", id, leftover);
    }

    private void assertSyncs(SocketChannel host, String rest, long id, ByteBuffer leftover) throws Exception {
        write(host, rest);
        byte[] line = readLine(host, leftover);
        assertEquals("{\"return\":" + id + "}\n", new String(line, StandardCharsets.UTF_8));
    }

    /** What a readLine read past its line, for the next call. */
    private ByteBuffer lastLeftover = ByteBuffer.allocate(0);

    /** One answer line (with its newline): from what was left over, then the socket, within {@link #ANSWER_LIMIT}. */
    private byte[] readLine(SocketChannel host, ByteBuffer leftover) throws Exception {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        ByteBuffer buffer = leftover;
        long deadline = System.nanoTime() + ANSWER_LIMIT.toNanos();
        host.configureBlocking(false);
        try {
            while (true) {
                while (buffer.hasRemaining()) {
                    byte b = buffer.get();
                    line.write(b);
                    if (b == '\n') {
                        lastLeftover = buffer;
                        return line.toByteArray();
                    }
                }
                buffer = ByteBuffer.allocate(65536);
                int n = host.read(buffer);
                if (n < 0) {
                    fail("the agent closed the connection; got " + line.size() + " bytes of a line\n" + agent.run().diagnostics());
                }
                if (n == 0) {
                    if (System.nanoTime() > deadline) {
                        fail("no answer line within " + ANSWER_LIMIT.toSeconds() + " s; got " + line.size() + " bytes\n"
                                + agent.run().diagnostics());
                    }
                    Thread.sleep(5);
                }
                buffer.flip();
            }
        } finally {
            host.configureBlocking(true);
        }
    }
}
