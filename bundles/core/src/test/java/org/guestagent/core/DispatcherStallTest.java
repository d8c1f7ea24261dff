package org.guestagent.core;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.guestagent.api.command.CommandResult;
import org.guestagent.api.command.MapSession;
import org.guestagent.api.transport.Exchange;
import org.guestagent.api.transport.RawRequest;
import org.junit.jupiter.api.Test;

/** What the watchdog is told: a dispatcher waiting for requests is alive, one hanging in its reply is stuck. */
class DispatcherStallTest {
    private static final long LIMIT_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

    /** Its reply() blocks until released. */
    static final class HangingReplyExchange implements Exchange {
        final BlockingQueue<RawRequest> inbox = new LinkedBlockingQueue<>();
        final CountDownLatch replying = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        @Override
        public RawRequest receive() throws InterruptedException {
            return inbox.take();
        }

        @Override
        public void reply(RawRequest request, byte[] response) {
            replying.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Test
    void idleIsAliveAHangingReplyIsStuckUntilItEnds() throws Exception {
        HangingReplyExchange exchange = new HangingReplyExchange();
        Dispatcher dispatcher = new Dispatcher("p", exchange, (request, invoker, session) -> "ok".getBytes(StandardCharsets.UTF_8),
                "parser", new MapSession("s"), (name, argument, context) -> CommandResult.ok(""));
        assertFalse(dispatcher.isStuck(LIMIT_NANOS), "not started yet");
        dispatcher.start();
        Thread.sleep(3 * TimeUnit.NANOSECONDS.toMillis(LIMIT_NANOS));
        assertFalse(dispatcher.isStuck(LIMIT_NANOS), "waiting for requests long past the limit is alive");

        exchange.inbox.add(new RawRequest("r1", "x".getBytes(StandardCharsets.UTF_8)));
        assertTrue(exchange.replying.await(30, TimeUnit.SECONDS), "the reply began");
        awaitStuck(dispatcher, true);

        exchange.release.countDown();
        awaitStuck(dispatcher, false);
        dispatcher.stop(10_000);
    }

    private static void awaitStuck(Dispatcher dispatcher, boolean stuck) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 30_000;
        while (dispatcher.isStuck(LIMIT_NANOS) != stuck) {
            if (System.currentTimeMillis() > deadline) {
                fail("the dispatcher did not become " + (stuck ? "stuck" : "alive again") + " within 30 s");
            }
            Thread.sleep(20);
        }
    }
}
