package org.guestagent.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import org.guestagent.api.command.CommandArgument;
import org.guestagent.api.command.CommandContext;
import org.guestagent.api.command.CommandException;
import org.guestagent.api.command.CommandResult;
import org.guestagent.api.command.MapSession;
import org.guestagent.api.hostdata.HostData;
import org.guestagent.api.transport.CommandInvoker;
import org.guestagent.api.transport.Exchange;
import org.guestagent.api.transport.Parser;
import org.guestagent.api.transport.RawRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A command runs on its dispatcher's thread; when it overruns, the watchdog has the request answered
 * with the timeout error by a fresh dispatcher thread, which serves on, and the late result of the
 * stuck thread is dropped. The limit of the stuck command is short, that of the others a minute:
 * nothing here depends on how fast the machine is.
 */
class DispatcherWatchdogTest {
    private static final long WAIT_MILLIS = 30_000;

    /** Records each answer with the thread that gave it. */
    static final class RecordingExchange implements Exchange {
        final BlockingQueue<RawRequest> inbox = new LinkedBlockingQueue<>();
        final List<String> replies = new CopyOnWriteArrayList<>();
        final Map<String, String> replier = new ConcurrentHashMap<>();

        @Override
        public RawRequest receive() throws InterruptedException {
            return inbox.take();
        }

        @Override
        public void reply(RawRequest request, byte[] response) {
            replier.put(request.id(), Thread.currentThread().getName());
            replies.add(request.id() + "=" + new String(response, StandardCharsets.UTF_8));
        }

        void send(String id, String command) {
            inbox.add(new RawRequest(id, command.getBytes(StandardCharsets.UTF_8)));
        }
    }

    /**
     * The registry's part, reduced: "stuck" waits for its release (ignoring interrupts) and returns
     * "late", with a short limit; any other name answers its upper case at once, with a long one.
     */
    static final class Commands implements CommandInvoker, WatchedInvoker {
        final CommandWatchdog watchdog = new CommandWatchdog("test-watchdog");
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicInteger interrupts = new AtomicInteger();
        final List<Thread> stuckThreads = new CopyOnWriteArrayList<>();
        final AtomicInteger lateEnds = new AtomicInteger();

        @Override
        public CommandResult invoke(String name, CommandArgument argument, CommandContext context) {
            throw new AssertionError("a dispatcher runs its commands watched");
        }

        @Override
        public CommandResult invoke(String name, CommandArgument argument, CommandContext context, String protocol,
                HostData hostData, BooleanSupplier pairStopping, Consumer<CommandException> onTimeout) {
            boolean stuck = name.equals("stuck");
            Thread thread = Thread.currentThread();
            CommandWatchdog.Watch watch = watchdog.watch(stuck ? TimeUnit.MILLISECONDS.toNanos(50) : TimeUnit.SECONDS.toNanos(60),
                    () -> {
                        thread.interrupt();
                        onTimeout.accept(new CommandException("Command '" + name + "' did not finish within 0 seconds"));
                    });
            try {
                if (stuck) {
                    stuckThreads.add(thread);
                    awaitRelease();
                    return CommandResult.ok("late");
                }
                return CommandResult.ok(name.toUpperCase());
            } finally {
                if (!watchdog.end(watch)) {
                    lateEnds.incrementAndGet();
                }
            }
        }

        private void awaitRelease() {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline) {
                try {
                    if (release.await(100, TimeUnit.MILLISECONDS)) {
                        return;
                    }
                } catch (InterruptedException e) {
                    interrupts.incrementAndGet(); // and go on: this command does not end when asked to
                }
            }
        }
    }

    private final Parser runsBodyAsCommand = (request, invoker, session) -> {
        String name = new String(request.body(), StandardCharsets.UTF_8);
        String answer;
        try {
            answer = invoker.invoke(name, CommandArgument.NONE, CommandContext.of(request.id(), session)).message();
        } catch (CommandException e) {
            answer = "error: " + e.getMessage();
        } catch (Exception e) {
            answer = "unexpected: " + e;
        }
        return answer.getBytes(StandardCharsets.UTF_8);
    };

    private final RecordingExchange exchange = new RecordingExchange();
    private final Commands commands = new Commands();
    private final Dispatcher dispatcher = new Dispatcher("p", exchange, runsBodyAsCommand, "parser", new MapSession("s"), commands);

    @AfterEach
    void stop() {
        commands.release.countDown();
        dispatcher.stop(10_000);
        commands.watchdog.close();
    }

    @Test
    void anOverrunIsAnsweredWithTheTimeoutTheNextRequestsByAFreshThreadAndTheLateResultIsDropped() throws Exception {
        dispatcher.start();
        exchange.send("r1", "stuck");
        exchange.send("r2", "hello");
        exchange.send("r3", "again");
        awaitReplies(3);
        assertEquals(List.of("r1=error: Command 'stuck' did not finish within 0 seconds", "r2=HELLO", "r3=AGAIN"),
                exchange.replies, "in request order, the overrun answered with the timeout error");
        assertEquals(1, commands.release.getCount(), "answered while the stuck command still runs");
        String stuckThread = commands.stuckThreads.get(0).getName();
        assertNotEquals(stuckThread, exchange.replier.get("r1"), "the timeout answer came from a fresh thread");
        assertEquals(exchange.replier.get("r1"), exchange.replier.get("r2"), "the fresh thread serves on");
        awaitTrue("the stuck thread was interrupted", () -> commands.interrupts.get() >= 1);

        commands.release.countDown();
        Thread stuck = commands.stuckThreads.get(0);
        stuck.join(WAIT_MILLIS);
        assertFalse(stuck.isAlive(), "the stuck thread ends once its command does");
        assertEquals(1, commands.lateEnds.get(), "its command ended after its timeout");
        exchange.send("r4", "more");
        awaitReplies(4);
        assertEquals("r4=MORE", exchange.replies.get(3));
        assertTrue(exchange.replies.stream().noneMatch(r -> r.contains("late")), "the late result is dropped: " + exchange.replies);
        assertEquals(4, dispatcher.info().served(), "four answers, the late one not among them");
        assertTrue(dispatcher.info().errors() >= 1, "the timeout counts as an error");
    }

    @Test
    void aFreshThreadCanBeLeftBehindTooAndTheWatchdogWakesAgainAfterAnIdleTime() throws Exception {
        dispatcher.start();
        exchange.send("r1", "stuck");
        awaitReplies(1);
        exchange.send("r2", "hello");
        awaitReplies(2);
        exchange.send("r3", "stuck");
        exchange.send("r4", "hello");
        awaitReplies(4);
        assertEquals(List.of("r1=error: Command 'stuck' did not finish within 0 seconds", "r2=HELLO",
                "r3=error: Command 'stuck' did not finish within 0 seconds", "r4=HELLO"), exchange.replies);
        assertEquals(2, commands.stuckThreads.size());
        assertNotEquals(commands.stuckThreads.get(0), commands.stuckThreads.get(1), "the second overrun was on the fresh thread");
        assertNotEquals(commands.stuckThreads.get(1).getName(), exchange.replier.get("r4"), "and a third thread serves on");
        commands.release.countDown();
        for (Thread stuck : commands.stuckThreads) {
            stuck.join(WAIT_MILLIS);
            assertFalse(stuck.isAlive());
        }
        assertEquals(4, exchange.replies.size(), "no late answer: " + exchange.replies);
    }

    private void awaitReplies(int count) throws InterruptedException {
        awaitTrue(count + " answers", () -> exchange.replies.size() >= count);
    }

    private void awaitTrue(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MILLIS);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("not within " + WAIT_MILLIS + " ms: " + what + "; answers so far " + exchange.replies);
            }
            Thread.sleep(10);
        }
    }
}
