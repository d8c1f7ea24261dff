package org.guestagent.itests.core;

import static org.guestagent.itests.support.Json.answer;
import static org.guestagent.itests.support.Json.request;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.options;

import java.util.Hashtable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import javax.inject.Inject;

import org.guestagent.api.command.Command;
import org.guestagent.api.runtime.CommandRegistry;
import org.guestagent.api.command.CommandSet;
import org.guestagent.api.transport.Exchange;
import org.guestagent.api.runtime.PairingRegistry;
import org.guestagent.itests.support.AgentBundles;
import org.guestagent.itests.support.Await;
import org.guestagent.itests.support.QueueExchange;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

/**
 * A hold service after the boot (as agentupdate registers while it replaces bundles): requests but
 * the early ones wait until it is gone; a pair that is being stopped answers its waiting request at
 * once instead of keeping its exchange's stop waiting.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class RequestHoldTest {

    @Inject
    private BundleContext context;
    @Inject
    private CommandRegistry commands;
    @Inject
    private PairingRegistry pairs;

    private ServiceRegistration<CommandSet> ping;
    private ServiceRegistration<Object> hold;
    private QueueExchange host;
    private ServiceRegistration<Exchange> exchange;
    private QueueExchange bystander;
    private ServiceRegistration<Exchange> bystanderExchange;

    @Configuration
    public Option[] config() {
        return options(AgentBundles.foundation());
    }

    @Before
    public void connect() throws Exception {
        ping = context.registerService(CommandSet.class, new Ping(), new Hashtable<>());
        host = new QueueExchange("held");
        exchange = host.register(context, pairs);
        bystander = new QueueExchange("bystander");
        bystanderExchange = bystander.register(context, pairs);
        assertEquals(answer("0", "pong"), host.call(request("ping", "\"\"")));
        Hashtable<String, Object> properties = new Hashtable<>();
        properties.put(CommandRegistry.BOOT_HOLD_PROPERTY, "a test");
        hold = context.registerService(Object.class, new Object(), properties);
    }

    @After
    public void disconnect() {
        for (ServiceRegistration<?> r : new ServiceRegistration<?>[] { hold, exchange, bystanderExchange, ping }) {
            try {
                r.unregister();
            } catch (IllegalStateException e) {
                // unregistered by the test
            }
        }
    }

    @Test
    public void requestsButTheEarlyOnesWaitForAHoldAfterTheBoot() throws Exception {
        CompletableFuture<String> held = host.send(request("ping", "\"\""));
        awaitWaiting();
        assertEquals(answer("0", "0.1.0"), bystander.call(request("version", "\"agent\"")));
        assertFalse("answered under the hold: " + (held.isDone() ? held.get() : ""), held.isDone());

        hold.unregister();
        assertEquals(answer("0", "pong"), held.get(30, TimeUnit.SECONDS));
    }

    @Test
    public void aPairBeingStoppedAnswersItsWaitingRequestAtOnce() throws Exception {
        CompletableFuture<String> held = host.send(request("ping", "\"\""));
        awaitWaiting();
        Thread stop = new Thread(exchange::unregister, "test-stop"); // returns once the pair has stopped
        stop.start();
        assertEquals(answer("0", "pong"), held.get(30, TimeUnit.SECONDS));
        stop.join(30_000);
        assertFalse("the pair's stop still waits", stop.isAlive());
        assertTrue("the hold is still there", hold.getReference() != null);
    }

    private void awaitWaiting() throws InterruptedException {
        Await.until("ping waits", () -> commands.runs().stream()
                .anyMatch(r -> r.command().equals("ping") && r.state() == CommandRegistry.RunState.WAITING));
    }

    /** A command that needs nothing. */
    public static final class Ping implements CommandSet {
        @Command("ping")
        public String ping() {
            return "pong";
        }
    }
}
