package org.guestagent.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.guestagent.api.command.CommandArgument;
import org.guestagent.api.command.CommandContext;
import org.guestagent.api.command.CommandResult;
import org.guestagent.api.command.MapSession;
import org.guestagent.api.transport.Exchange;
import org.guestagent.api.transport.Parser;
import org.guestagent.api.transport.RawRequest;
import org.junit.jupiter.api.Test;

class DispatcherTest {

    /** Blocks in receive() until a request is queued; records replies in order. */
    static final class ListExchange implements Exchange {
        final BlockingQueue<RawRequest> inbox = new LinkedBlockingQueue<>();
        final List<String> replies = new CopyOnWriteArrayList<>();

        @Override
        public RawRequest receive() throws InterruptedException {
            return inbox.take();
        }

        @Override
        public void reply(RawRequest request, byte[] response) {
            replies.add(request.id() + "=" + new String(response, StandardCharsets.UTF_8));
        }
    }

    private final Parser runsBodyAsCommand = (request, invoker, session) -> {
        String name = new String(request.body(), StandardCharsets.UTF_8);
        try {
            return invoker.invoke(name, CommandArgument.NONE, CommandContext.of(request.id(), session))
                    .message().getBytes(StandardCharsets.UTF_8);
        } catch (Exception e) {
            return "error".getBytes(StandardCharsets.UTF_8);
        }
    };

    @Test
    void answersInArrivalOrderAndCounts() throws Exception {
        ListExchange exchange = new ListExchange();
        Dispatcher dispatcher = new Dispatcher("p", exchange, runsBodyAsCommand, "parser", new MapSession("s"),
                (name, argument, context) -> CommandResult.ok(name.toUpperCase()));
        dispatcher.start();
        for (int i = 0; i < 50; i++) {
            exchange.inbox.add(new RawRequest("r" + i, ("c" + i).getBytes(StandardCharsets.UTF_8)));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (exchange.replies.size() < 50 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        dispatcher.stop(5_000);
        for (int i = 0; i < 50; i++) {
            assertEquals("r" + i + "=C" + i, exchange.replies.get(i));
        }
        assertEquals(50, dispatcher.info().served());
        assertEquals(0, dispatcher.info().errors());
    }

    @Test
    void stopAnswersTheRequestInHandFirst() throws Exception {
        ListExchange exchange = new ListExchange();
        CountDownLatch started = new CountDownLatch(1);
        Dispatcher dispatcher = new Dispatcher("p", exchange, runsBodyAsCommand, "parser", new MapSession("s"),
                (name, argument, context) -> {
                    started.countDown();
                    try {
                        Thread.sleep(300);
                    } catch (InterruptedException e) {
                        return CommandResult.ok("interrupted");
                    }
                    return CommandResult.ok("done");
                });
        dispatcher.start();
        exchange.inbox.add(new RawRequest("slow", "slow".getBytes(StandardCharsets.UTF_8)));
        assertTrue(started.await(5, TimeUnit.SECONDS));
        dispatcher.stop(5_000);
        assertEquals(List.of("slow=done"), exchange.replies);
    }

    @Test
    void stopWhileWaitingEndsTheThreadAndFailuresDoNotKillIt() throws Exception {
        ListExchange exchange = new ListExchange();
        Parser throwing = (request, invoker, session) -> {
            if (request.id().equals("bad")) {
                throw new IllegalStateException("parser bug");
            }
            return runsBodyAsCommand.handle(request, invoker, session);
        };
        Dispatcher dispatcher = new Dispatcher("p", exchange, throwing, "parser", new MapSession("s"),
                (name, argument, context) -> CommandResult.ok("ok"));
        dispatcher.start();
        exchange.inbox.add(new RawRequest("bad", new byte[0]));
        exchange.inbox.add(new RawRequest("good", "c".getBytes(StandardCharsets.UTF_8)));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (exchange.replies.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(List.of("good=ok"), exchange.replies);
        dispatcher.stop(5_000);
        exchange.inbox.add(new RawRequest("late", "c".getBytes(StandardCharsets.UTF_8)));
        Thread.sleep(100);
        assertFalse(exchange.replies.contains("late=ok"));
        assertEquals(1, dispatcher.info().errors());
    }
}
