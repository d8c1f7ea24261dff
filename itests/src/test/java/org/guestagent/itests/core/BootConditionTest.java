package org.guestagent.itests.core;

import static org.guestagent.itests.support.Json.answer;
import static org.guestagent.itests.support.Json.request;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.options;

import java.util.Hashtable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import javax.inject.Inject;

import org.guestagent.api.command.Command;
import org.guestagent.api.command.CommandSet;
import org.guestagent.api.runtime.CommandRegistry;
import org.guestagent.api.runtime.PairingRegistry;
import org.guestagent.itests.support.AgentBundles;
import org.guestagent.itests.support.Await;
import org.guestagent.itests.support.QueueExchange;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.condition.Condition;

/**
 * The boot is over when the boot condition is registered (the launcher's job; here the test's):
 * until then only the early commands are answered, and a request for any other command waits.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class BootConditionTest {
    private static final String CONDITION = "test.boot";

    @Inject
    private BundleContext context;
    @Inject
    private CommandRegistry commands;
    @Inject
    private PairingRegistry pairs;

    @Configuration
    public Option[] config() {
        return options(AgentBundles.foundation(),
                frameworkProperty(CommandRegistry.BOOT_CONDITION_PROPERTY).value(CONDITION));
    }

    @Test
    public void requestsButTheEarlyOnesWaitForTheBootCondition() throws Exception {
        ServiceRegistration<CommandSet> ping = context.registerService(CommandSet.class, new Ping(), new Hashtable<>());
        QueueExchange host = new QueueExchange("booting");
        ServiceRegistration<?> exchange = host.register(context, pairs);
        QueueExchange bystander = new QueueExchange("bystander"); // the first pair is busy with the held request
        ServiceRegistration<?> bystanderExchange = bystander.register(context, pairs);
        try {
            CompletableFuture<String> held = host.send(request("ping", "\"\""));
            Await.until("ping waits for the boot", () -> commands.runs().stream()
                    .anyMatch(r -> r.command().equals("ping") && r.state() == CommandRegistry.RunState.WAITING));
            assertEquals(answer("0", "0.1.0"), bystander.call(request("version", "\"agent\"")));
            assertFalse("answered before the boot condition: " + (held.isDone() ? held.get() : ""), held.isDone());

            Hashtable<String, Object> properties = new Hashtable<>();
            properties.put(Condition.CONDITION_ID, CONDITION);
            context.registerService(Condition.class, Condition.INSTANCE, properties);
            assertEquals(answer("0", "pong"), held.get(30, TimeUnit.SECONDS));
            assertEquals(answer("0", "pong"), host.call(request("ping", "\"\"")));
        } finally {
            exchange.unregister();
            bystanderExchange.unregister();
            ping.unregister();
        }
    }

    /** A command that needs nothing. */
    public static final class Ping implements CommandSet {
        @Command("ping")
        public String ping() {
            return "pong";
        }
    }
}
