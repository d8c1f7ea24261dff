package org.guestagent.xenstore.simulator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.guestagent.xenstore.XenStoreClient;
import org.guestagent.xenstore.XenStoreDisconnectedException;
import org.guestagent.xenstore.XenStoreException;
import org.guestagent.xenstore.XenStoreTransaction;
import org.guestagent.xenstore.XenStoreTransport;
import org.guestagent.xenstore.XsMessage;
import org.guestagent.xenstore.XsOperation;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class XenStoreSimulatorTest {

    @TempDir
    Path dir;
    XenStoreSimulator simulator;
    Path guestSocket;
    Path hostSocket;
    RawConnection guest;
    RawConnection host;

    @BeforeEach
    void start() throws IOException {
        guestSocket = dir.resolve("guest.sock");
        hostSocket = dir.resolve("host.sock");
        simulator = new XenStoreSimulator(7, null).start(guestSocket).listen(hostSocket, 0);
        guest = new RawConnection(guestSocket);
        host = new RawConnection(hostSocket);
    }

    @AfterEach
    void stop() throws IOException {
        guest.close();
        host.close();
        simulator.stop();
    }

    @Test
    void aSocketSomebodyServesIsNotTakenOver() {
        IOException e = assertThrows(IOException.class, () -> new XenStoreSimulator().start(guestSocket));
        assertTrue(e.getMessage().contains("already listening"), e.getMessage());
    }

    @Test
    void relativePathsResolveBelowTheConnectionsDomain() throws IOException {
        assertEquals("OK", guest.text(XsOperation.WRITE, 0, "data/host/r1\0{}"));
        assertEquals("{}", host.text(XsOperation.READ, 0, "/local/domain/7/data/host/r1"));
        assertEquals("/local/domain/7", guest.text(XsOperation.GET_DOMAIN_PATH, 0, "7"));
        host.send(XsOperation.WRITE.code(), 0, XsMessage.pathAndValue("mine", "h".getBytes(StandardCharsets.UTF_8)));
        assertEquals(XsOperation.WRITE.code(), host.next().type());
        assertEquals("h", guest.text(XsOperation.READ, 0, "/local/domain/0/mine"));
    }

    @Test
    void writeCreatesParentsAndReadReturnsRawBytes() throws IOException {
        byte[] value = {0, (byte) 0xff, 'x', 0};
        host.send(XsOperation.WRITE.code(), 0, XsMessage.pathAndValue("/a/b/c", value));
        XsMessage reply = host.next();
        assertEquals("OK\0", new String(reply.payload(), StandardCharsets.UTF_8));
        assertEquals("b", host.text(XsOperation.DIRECTORY, 0, "/a"));
        XsMessage read = host.call(XsOperation.READ, 0, "/a/b/c");
        assertArrayEquals(value, read.payload());
        assertEquals("", host.text(XsOperation.READ, 0, "/a/b"));
    }

    @Test
    void directoryListsChildrenInCreationOrderEachTerminated() throws IOException {
        for (String name : List.of("zeta", "alpha", "mid")) {
            host.text(XsOperation.MKDIR, 0, "/d/" + name);
        }
        XsMessage listing = host.call(XsOperation.DIRECTORY, 0, "/d");
        assertEquals("zeta\0alpha\0mid\0", new String(listing.payload(), StandardCharsets.UTF_8));
        host.text(XsOperation.MKDIR, 0, "/empty");
        assertEquals(0, host.call(XsOperation.DIRECTORY, 0, "/empty").payload().length);
    }

    @Test
    void errnoReplies() throws IOException {
        assertEquals("ERROR:ENOENT", guest.text(XsOperation.READ, 0, "/nope"));
        assertEquals("ERROR:ENOENT", guest.text(XsOperation.DIRECTORY, 0, "/nope"));
        assertEquals("ERROR:ENOENT", guest.text(XsOperation.GET_PERMS, 0, "/nope"));
        assertEquals("ERROR:EINVAL", guest.text(XsOperation.READ, 0, "/a//b"));
        assertEquals("ERROR:EINVAL", guest.text(XsOperation.READ, 0, "/a/"));
        assertEquals("ERROR:EINVAL", guest.text(XsOperation.READ, 0, "/has space"));
        assertEquals("ERROR:EINVAL", guest.text(XsOperation.RM, 0, "/"));
        assertEquals("ERROR:ENOENT", guest.text(XsOperation.RM, 0, "/no/parent"));
        assertEquals("OK", guest.text(XsOperation.RM, 0, "/local/missing"));
        assertEquals("ERROR:EACCES", guest.text(XsOperation.INTRODUCE, 0, "9", "1234", "5"));
        assertEquals("ERROR:EACCES", guest.text(XsOperation.RELEASE, 0, "9"));
        assertEquals("ERROR:ENOENT", guest.text(XsOperation.UNWATCH, 0, "/x", "t"));
        assertEquals("ERROR:ENOENT", guest.text(XsOperation.TRANSACTION_END, 999, "T"));
        assertEquals("ERROR:ENOENT", guest.text(XsOperation.READ, 999, "/local"));
        assertEquals("ERROR:EINVAL", guest.text(XsOperation.SET_PERMS, 0, "/local", "bogus"));
        assertEquals("ERROR:EINVAL", guest.text(XsOperation.GET_DOMAIN_PATH, 0, "x"));
        // an unterminated argument and an unknown operation
        int id = guest.send(XsOperation.READ.code(), 0, "/local".getBytes(StandardCharsets.UTF_8));
        XsMessage m = guest.next();
        assertEquals(id, m.reqId());
        assertEquals(XsOperation.ERROR.code(), m.type());
        assertEquals("EINVAL", m.firstString());
        guest.send(99, 0, new byte[0]);
        assertEquals("EINVAL", guest.next().firstString());
    }

    @Test
    void aGuestOwnsAtMostItsNodeQuotaAndDom0WritesCountForTheOwner() throws IOException {
        assertEquals(XenStoreSimulator.DEFAULT_NODE_QUOTA, simulator.nodeQuota());
        simulator.nodeQuota(20);
        assertEquals(1, simulator.nodesOwnedBy(7), "the guest's home");
        assertEquals("OK", guest.text(XsOperation.WRITE, 0, "data/a/b\0" + "x"), "a node and its two parents");
        assertEquals(4, simulator.nodesOwnedBy(7));
        for (int i = 5; i <= 20; i++) {
            assertEquals("OK", guest.text(XsOperation.WRITE, 0, "data/n" + i + "\0" + "x"));
        }
        assertEquals(20, simulator.nodesOwnedBy(7));
        assertEquals("ERROR:EQUOTA", guest.text(XsOperation.WRITE, 0, "data/one-more\0" + "x"));
        assertEquals("ERROR:EQUOTA", guest.text(XsOperation.MKDIR, 0, "data/one-more"));
        assertEquals("ERROR:EQUOTA", guest.text(XsOperation.WRITE, 0, "/elsewhere\0" + "x"), "the guest's nodes anywhere count");
        assertEquals("OK", guest.text(XsOperation.WRITE, 0, "data/n6\0" + "changed"), "changing a node creates none");
        assertEquals("OK", guest.text(XsOperation.RM, 0, "data/a"), "a subtree of two");
        assertEquals(18, simulator.nodesOwnedBy(7));
        assertEquals("OK", guest.text(XsOperation.WRITE, 0, "data/again\0" + "x"));

        // dom0 is never refused, but what it writes below the guest's home is the guest's (C xenstored)
        for (int i = 0; i < 5; i++) {
            assertEquals("OK", host.text(XsOperation.WRITE, 0, "/local/domain/7/data/host/r" + i + "\0{}"));
        }
        assertEquals(25, simulator.nodesOwnedBy(7), "data/host and five requests");
        assertEquals("n7", host.text(XsOperation.GET_PERMS, 0, "/local/domain/7/data/host/r0"));
        assertEquals(0, simulator.nodesOwnedBy(3));
        assertEquals("ERROR:EQUOTA", guest.text(XsOperation.WRITE, 0, "data/guest/a1\0{}"));
        assertEquals("OK", guest.text(XsOperation.RM, 0, "data/host"));
        assertEquals(19, simulator.nodesOwnedBy(7));

        // in a transaction: counted as the transaction sees it, and again at commit
        int tx = Integer.parseInt(guest.text(XsOperation.TRANSACTION_START, 0, ""));
        assertEquals("ERROR:EQUOTA", guest.text(XsOperation.WRITE, tx, "data/t/u\0" + "x"), "two new nodes, one left");
        assertEquals("OK", guest.text(XsOperation.RM, tx, "data/n5"));
        assertEquals("OK", guest.text(XsOperation.WRITE, tx, "data/t/u\0" + "x"));
        assertEquals("OK", guest.text(XsOperation.WRITE, 0, "/meanwhile\0" + "x"), "the last node, outside what the transaction saw");
        assertEquals("ERROR:EQUOTA", guest.text(XsOperation.TRANSACTION_END, tx, "T"));
        assertEquals("ERROR:ENOENT", guest.text(XsOperation.READ, 0, "data/t/u"));
        assertEquals("x", guest.text(XsOperation.READ, 0, "data/n5"), "nothing of the refused transaction happened");
        assertEquals(20, simulator.nodesOwnedBy(7));
    }

    @Test
    void theNodeCountSurvivesARestartFromTheStateFile() throws IOException {
        Path state = dir.resolve("state");
        XenStoreSimulator first = new XenStoreSimulator(9, state).start(dir.resolve("first.sock"));
        try (RawConnection c = new RawConnection(dir.resolve("first.sock"))) {
            assertEquals("OK", c.text(XsOperation.WRITE, 0, "data/guest/x\0{}"));
        } finally {
            first.stop();
        }
        XenStoreSimulator second = new XenStoreSimulator(9, state);
        assertEquals(4, second.nodesOwnedBy(9), "home, data, data/guest, data/guest/x");
    }

    @Test
    void payloadLimitGivesE2bigAndTheConnectionLivesOn() throws IOException {
        byte[] tooBig = XsMessage.pathAndValue("/big", new byte[XsMessage.PAYLOAD_MAX]);
        int id = host.send(XsOperation.WRITE.code(), 0, tooBig);
        XsMessage reply = host.next();
        assertEquals(id, reply.reqId());
        assertEquals(XsOperation.ERROR.code(), reply.type());
        assertEquals("E2BIG", reply.firstString());
        byte[] fits = XsMessage.pathAndValue("/big", new byte[XsMessage.PAYLOAD_MAX - 5]);
        host.send(XsOperation.WRITE.code(), 0, fits);
        assertEquals("OK", host.next().firstString());
        assertEquals(XsMessage.PAYLOAD_MAX - 5, host.call(XsOperation.READ, 0, "/big").payload().length);
    }

    @Test
    void listingBeyondTheLimitIsE2bigButComesInParts() throws IOException {
        try (XenStoreClient client = XenStoreClient.open(XenStoreTransport.unixSocket(hostSocket))) {
            List<String> names = new ArrayList<>();
            client.inTransaction(tx -> {
                for (int i = 0; i < 400; i++) {
                    String name = "request-number-" + i;
                    tx.write("/many/" + name, "x");
                    names.add(name);
                }
                return null;
            });
            assertEquals("ERROR:E2BIG", host.text(XsOperation.DIRECTORY, 0, "/many"));
            XsMessage part = host.call(XsOperation.DIRECTORY_PART, 0, "/many", "0");
            assertTrue(part.payload().length <= XsMessage.PAYLOAD_MAX);
            assertEquals(names, client.directory("/many"));
            assertEquals("ERROR:EINVAL", host.text(XsOperation.DIRECTORY_PART, 0, "/many", "999999"));
        }
    }

    @Test
    void mkdirRmSubtreeAndPermissions() throws IOException {
        assertEquals("OK", host.text(XsOperation.MKDIR, 0, "/t/u"));
        assertEquals("OK", host.text(XsOperation.MKDIR, 0, "/t/u"));
        assertEquals("OK", host.text(XsOperation.WRITE, 0, "/t/u/v\0" + "1"));
        assertEquals("OK", host.text(XsOperation.RM, 0, "/t"));
        assertEquals("ERROR:ENOENT", host.text(XsOperation.READ, 0, "/t/u/v"));
        assertEquals("ERROR:ENOENT", host.text(XsOperation.READ, 0, "/t"));

        assertEquals("OK", host.text(XsOperation.SET_PERMS, 0, "/local/domain/7", "n7", "r0"));
        XsMessage perms = host.call(XsOperation.GET_PERMS, 0, "/local/domain/7");
        assertEquals("n7\0r0\0", new String(perms.payload(), StandardCharsets.UTF_8));
        // a node the guest creates is owned by the guest
        guest.text(XsOperation.WRITE, 0, "data/x\0" + "1");
        assertEquals("n7\0r0", guest.text(XsOperation.GET_PERMS, 0, "data/x"));
    }

    @Test
    void domainOperations() throws IOException {
        assertEquals("F", host.text(XsOperation.IS_DOMAIN_INTRODUCED, 0, "9"));
        assertEquals("OK", host.text(XsOperation.INTRODUCE, 0, "9", "1234", "5"));
        assertEquals("T", host.text(XsOperation.IS_DOMAIN_INTRODUCED, 0, "9"));
        assertEquals("OK", host.text(XsOperation.RESUME, 0, "9"));
        assertEquals("OK", host.text(XsOperation.SET_TARGET, 0, "9", "0"));
        assertEquals("OK", host.text(XsOperation.RELEASE, 0, "9"));
        assertEquals("F", host.text(XsOperation.IS_DOMAIN_INTRODUCED, 0, "9"));
        assertEquals("ERROR:ENOENT", host.text(XsOperation.RELEASE, 0, "9"));
    }

    @Test
    void watchFiresAtOnceThenOnChangesBelowInterleavedWithReplies() throws IOException {
        int watchId = guest.send(XsOperation.WATCH, 0, "data", "tok");
        XsMessage reply = guest.next();
        assertEquals(XsOperation.WATCH.code(), reply.type());
        assertEquals(watchId, reply.reqId());
        XsMessage first = guest.next();
        assertEquals(XsOperation.WATCH_EVENT.code(), first.type());
        assertEquals(0, first.reqId());
        assertEquals(List.of("data", "tok"), XsMessage.split(first.payload()));

        // the host writes below the watched node: the guest sees a relative path
        host.text(XsOperation.WRITE, 0, "/local/domain/7/data/host/r\0" + "v");
        XsMessage event = guest.next();
        assertEquals(List.of("data/host/r", "tok"), XsMessage.split(event.payload()));
        // a change elsewhere fires nothing; a change of the node itself does
        host.text(XsOperation.WRITE, 0, "/elsewhere\0" + "v");
        host.text(XsOperation.WRITE, 0, "/local/domain/7/data\0" + "v");
        assertEquals(List.of("data", "tok"), XsMessage.split(guest.next().payload()));

        assertEquals("ERROR:EEXIST", guest.text(XsOperation.WATCH, 0, "data", "tok"));
        assertEquals("OK", guest.text(XsOperation.UNWATCH, 0, "data", "tok"));
        host.text(XsOperation.WRITE, 0, "/local/domain/7/data\0" + "w");
        int readId = guest.send(XsOperation.READ, 0, "data");
        XsMessage next = guest.next();
        assertEquals(readId, next.reqId(), "no event after unwatch");
    }

    @Test
    void removingANodeFiresWatchesBelowIt() throws IOException {
        host.text(XsOperation.WRITE, 0, "/r/s/t\0" + "1");
        host.call(XsOperation.WATCH, 0, "/r/s/t", "deep");
        assertEquals("/r/s/t", XsMessage.split(host.next().payload()).get(0));
        host.text(XsOperation.RM, 0, "/r");
        XsMessage event = host.next();
        assertEquals(List.of("/r/s/t", "deep"), XsMessage.split(event.payload()));
    }

    @Test
    void specialWatchesFireOnIntroduceAndRelease() throws IOException {
        host.call(XsOperation.WATCH, 0, "@introduceDomain", "i");
        assertEquals(List.of("@introduceDomain", "i"), XsMessage.split(host.next().payload()));
        host.call(XsOperation.INTRODUCE, 0, "3", "1", "1");
        assertEquals(List.of("@introduceDomain", "i"), XsMessage.split(host.next().payload()));
    }

    @Test
    void resetWatchesDropsAllOfTheConnectionsWatches() throws IOException {
        host.call(XsOperation.WATCH, 0, "/w", "a");
        host.next();
        assertEquals("OK", host.text(XsOperation.RESET_WATCHES, 0, ""));
        host.text(XsOperation.WRITE, 0, "/w\0" + "1");
        int id = host.send(XsOperation.READ, 0, "/w");
        assertEquals(id, host.next().reqId());
    }

    @Test
    void transactionIsIsolatedSeesItsOwnWritesAndCommits() throws IOException {
        host.text(XsOperation.WRITE, 0, "/tx/keep\0" + "k");
        int tx = Integer.parseInt(host.text(XsOperation.TRANSACTION_START, 0, ""));
        assertTrue(tx != 0);
        assertEquals("OK", host.text(XsOperation.WRITE, tx, "/tx/new/a\0" + "1"));
        assertEquals("1", host.text(XsOperation.READ, tx, "/tx/new/a"));
        assertEquals("ERROR:ENOENT", guest.text(XsOperation.READ, 0, "/tx/new/a"));
        assertEquals("OK", host.text(XsOperation.RM, tx, "/tx/keep"));
        assertEquals("ERROR:ENOENT", host.text(XsOperation.READ, tx, "/tx/keep"));
        assertEquals("k", guest.text(XsOperation.READ, 0, "/tx/keep"));
        assertEquals("new", host.text(XsOperation.DIRECTORY, tx, "/tx"));
        assertEquals("OK", host.text(XsOperation.TRANSACTION_END, tx, "T"));
        assertEquals("1", guest.text(XsOperation.READ, 0, "/tx/new/a"));
        assertEquals("ERROR:ENOENT", guest.text(XsOperation.READ, 0, "/tx/keep"));
    }

    @Test
    void abortDiscardsAndRemovedSubtreeStaysHiddenInTheTransaction() throws IOException {
        host.text(XsOperation.WRITE, 0, "/ab/c/d\0" + "1");
        int tx = Integer.parseInt(host.text(XsOperation.TRANSACTION_START, 0, ""));
        host.text(XsOperation.RM, tx, "/ab");
        host.text(XsOperation.WRITE, tx, "/ab/x\0" + "2");
        assertEquals("ERROR:ENOENT", host.text(XsOperation.READ, tx, "/ab/c/d"));
        assertEquals("x", host.text(XsOperation.DIRECTORY, tx, "/ab"));
        assertEquals("OK", host.text(XsOperation.TRANSACTION_END, tx, "F"));
        assertEquals("1", host.text(XsOperation.READ, 0, "/ab/c/d"));
        assertEquals("ERROR:ENOENT", host.text(XsOperation.READ, 0, "/ab/x"));
        assertEquals("ERROR:ENOENT", host.text(XsOperation.TRANSACTION_END, tx, "T"), "the id is gone");
    }

    @Test
    void conflictingCommitFailsWithEagain() throws IOException {
        host.text(XsOperation.WRITE, 0, "/c/v\0" + "0");
        int tx = Integer.parseInt(host.text(XsOperation.TRANSACTION_START, 0, ""));
        host.text(XsOperation.READ, tx, "/c/v");
        host.text(XsOperation.WRITE, tx, "/c/w\0" + "1");
        guest.text(XsOperation.WRITE, 0, "/c/v\0" + "changed");
        assertEquals("ERROR:EAGAIN", host.text(XsOperation.TRANSACTION_END, tx, "T"));
        assertEquals("ERROR:ENOENT", host.text(XsOperation.READ, 0, "/c/w"));
        // an unrelated change does not conflict
        int tx2 = Integer.parseInt(host.text(XsOperation.TRANSACTION_START, 0, ""));
        host.text(XsOperation.READ, tx2, "/c/v");
        guest.text(XsOperation.WRITE, 0, "/unrelated\0" + "1");
        assertEquals("OK", host.text(XsOperation.TRANSACTION_END, tx2, "T"));
    }

    @Test
    void clientRetriesATransactionOnEagain() throws IOException {
        try (XenStoreClient a = XenStoreClient.open(XenStoreTransport.unixSocket(hostSocket));
                XenStoreClient b = XenStoreClient.open(XenStoreTransport.unixSocket(hostSocket))) {
            a.write("/counter", "0");
            AtomicInteger attempts = new AtomicInteger();
            a.inTransaction(tx -> {
                int n = Integer.parseInt(new String(tx.read("/counter"), StandardCharsets.UTF_8));
                if (attempts.incrementAndGet() == 1) {
                    b.write("/counter", "10"); // interferes once
                }
                tx.write("/counter", Integer.toString(n + 1));
                return null;
            });
            assertEquals(2, attempts.get());
            assertEquals("11", a.readString("/counter"));
            XenStoreException e = assertThrows(XenStoreException.class, () -> a.read("/missing"));
            assertEquals("ENOENT", e.errno());
        }
    }

    @Test
    void transactionWatchesFireOnCommitOnly() throws IOException {
        try (XenStoreClient client = XenStoreClient.open(XenStoreTransport.unixSocket(guestSocket))) {
            BlockingQueue<String> events = new LinkedBlockingQueue<>();
            client.watch("data/host", (path, token) -> events.add(path));
            assertEquals("data/host", poll(events));
            XenStoreTransaction tx = client.startTransaction();
            tx.write("data/host/a", "1");
            tx.write("data/host/b", "2");
            assertEquals(null, events.poll());
            tx.commit();
            assertEquals("data/host/a", poll(events));
            assertEquals("data/host/b", poll(events));
        }
    }

    @Test
    void clientReconnectsAndWatchesAgainAfterARestart() throws Exception {
        Path state = dir.resolve("state");
        Path socket = dir.resolve("restart.sock");
        XenStoreSimulator first = new XenStoreSimulator(3, state).start(socket);
        try (XenStoreClient client = XenStoreClient.openReconnecting(XenStoreTransport.unixSocket(socket), Duration.ofSeconds(10))) {
            BlockingQueue<String> events = new LinkedBlockingQueue<>();
            AtomicInteger connects = new AtomicInteger();
            client.addConnectionListener(connects::incrementAndGet);
            assertTrue(client.awaitConnected(Duration.ofSeconds(5)));
            client.watch("data", (path, token) -> events.add(path));
            assertEquals("data", poll(events));
            client.write("data/before", "1");
            assertEquals("data/before", poll(events));

            int connectsBefore = connects.get(); // the first connect may precede the listener
            first.stop();
            XenStoreSimulator second = new XenStoreSimulator(3, state).start(socket);
            try {
                assertEquals("data", poll(events), "watch registered again after the reconnect");
                assertEquals("1", client.readString("data/before"), "state kept across the restart");
                client.write("data/after", "2");
                assertEquals("data/after", poll(events));
                // listeners run on the event thread before the re-registered watch's first event
                assertTrue(connects.get() > connectsBefore, "the connection listener heard the reconnect");
            } finally {
                second.stop();
            }
        }
    }

    @Test
    void disconnectDropsOnlyThatDomainsConnectionsAndKeepsTreeAndSockets() throws Exception {
        assertEquals("OK", guest.text(XsOperation.WRITE, 0, "data/host/r1\0{}"));
        assertEquals(2, simulator.connectionCount());

        simulator.disconnect(7);

        assertThrows(IOException.class, () -> guest.next(), "the guest's connection is closed");
        assertEquals("{}", host.text(XsOperation.READ, 0, "/local/domain/7/data/host/r1"), "the host's connection and the tree stay");
        assertEquals(1, simulator.connectionCount());
        try (RawConnection again = new RawConnection(guestSocket)) {
            assertEquals("{}", again.text(XsOperation.READ, 0, "data/host/r1"), "the guest can connect again at once");
        }
    }

    @Test
    void requestsFailClearlyWhenNotReconnecting() throws IOException {
        XenStoreClient client = XenStoreClient.open(XenStoreTransport.unixSocket(hostSocket));
        simulator.stop();
        IOException e = assertThrows(XenStoreDisconnectedException.class, () -> {
            for (int i = 0; i < 100; i++) { // until the reader noticed the closed socket
                client.read("/local");
                Thread.sleep(20);
            }
        });
        assertTrue(e.getMessage().contains("XenStore"), e.getMessage());
        client.close();
    }

    private static String poll(BlockingQueue<String> events) {
        try {
            return events.poll(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
