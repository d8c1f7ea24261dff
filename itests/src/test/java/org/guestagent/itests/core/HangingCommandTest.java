package org.guestagent.itests.core;

import static org.guestagent.itests.support.Json.answer;
import static org.guestagent.itests.support.Json.request;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.options;

import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import javax.inject.Inject;

import org.guestagent.api.command.Command;
import org.guestagent.api.command.CommandArgument;
import org.guestagent.api.command.CommandContext;
import org.guestagent.api.runtime.CommandRegistry;
import org.guestagent.api.runtime.CommandRegistry.CommandRun;
import org.guestagent.api.command.CommandSet;
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
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * A command that passes its timeout: answered 500, its thread (the dispatcher's, left behind) interrupted, and while it does not
 * end it is listed as hanging by the registry (agent:runs); its pair goes on at once with the next
 * requests, and the hanging command can no longer change the pair's session (a late keyinit must
 * not replace the key of the keyinit the host sent after it).
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class HangingCommandTest {

    @Inject
    private BundleContext context;
    @Inject
    private CommandRegistry commands;
    @Inject
    private PairingRegistry pairs;
    @Inject
    private ConfigurationAdmin configAdmin;

    private final List<ServiceRegistration<?>> registrations = new ArrayList<>();
    private final Stubborn stubborn = new Stubborn();
    private QueueExchange host;
    private org.osgi.service.cm.Configuration core;

    @Configuration
    public Option[] config() {
        return options(AgentBundles.foundation());
    }

    @Before
    public void connectHostWithAShortTimeout() throws Exception {
        core = configAdmin.getConfiguration("org.guestagent.core", "?");
        Dictionary<String, Object> settings = new Hashtable<>();
        settings.put("command.timeout.seconds", 1);
        core.update(settings);
        Await.until("the short limit is in force", () -> Integer.valueOf(1).equals(
                context.getServiceReference(CommandRegistry.class).getProperty("command.timeout.seconds")));
        registrations.add(context.registerService(CommandSet.class, stubborn, new Hashtable<>()));
        host = new QueueExchange("hanging");
        registrations.add(host.register(context, pairs));
    }

    @After
    public void cleanUp() throws Exception {
        stubborn.release.countDown();
        registrations.forEach(ServiceRegistration::unregister);
        core.delete();
    }

    @Test
    public void aHangingCommandIsAnswered500TheNextRequestsGoOnAndItsThreadIsListedUntilItEnds() throws Exception {
        assertEquals(answer("500", "Command 'stubborn' did not finish within 1 seconds"),
                host.call(request("stubborn", "\"\"")));
        // the pair serves on while the stubborn command still runs: it was not waited for
        assertEquals(answer("0", "0.1.0"), host.call(request("version", "\"agent\"")));
        assertEquals(answer("0", "pong"), host.call(request("ping", "\"\"")));
        assertEquals("the stubborn command still runs", 1, stubborn.release.getCount());

        Await.until("the stubborn command's thread was interrupted", () -> stubborn.interrupts.get() >= 1);
        CommandRun hanging = runOf("stubborn");
        assertTrue("listed: " + commands.runs(), hanging != null);
        assertEquals(CommandRegistry.RunState.HANGING, hanging.state());
        assertTrue(hanging.thread(), hanging.thread().startsWith("agent-dispatcher-"));

        stubborn.release.countDown();
        Await.until("the ended command is no longer listed", () -> runOf("stubborn") == null);
        assertEquals(answer("0", "pong"), host.call(request("ping", "\"\"")));
    }

    @Test
    public void aCommandPastItsTimeoutCanNoLongerChangeThePairsSession() throws Exception {
        assertEquals(answer("500", "Command 'slow_store' did not finish within 1 seconds"),
                host.call(request("slow_store", "\"late\"")));
        assertEquals(answer("0", ""), host.call(request("store", "\"next\"")));
        stubborn.release.countDown();
        Await.until("the slow store has ended", () -> stubborn.slowStoreFailure.get() != null);
        assertTrue(stubborn.slowStoreFailure.get(), stubborn.slowStoreFailure.get().startsWith("IllegalStateException"));
        assertEquals(answer("0", "next"), host.call(request("recall", "\"\"")));
    }

    private CommandRun runOf(String command) {
        return commands.runs().stream().filter(r -> r.command().equals(command)).findFirst().orElse(null);
    }

    /** Commands that ignore interrupts until the test releases them, and a session to look at. */
    public static final class Stubborn implements CommandSet {
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicInteger interrupts = new AtomicInteger();
        final AtomicReference<String> slowStoreFailure = new AtomicReference<>();

        @Command("stubborn")
        public String stubborn() {
            awaitRelease();
            return "done";
        }

        @Command("ping")
        public String ping() {
            return "pong";
        }

        @Command("slow_store")
        public String slowStore(CommandArgument argument, CommandContext context) {
            awaitRelease();
            try {
                context.session().put("value", argument.text());
                slowStoreFailure.set("none: stored");
            } catch (RuntimeException e) {
                slowStoreFailure.set(e.getClass().getSimpleName() + ": " + e.getMessage());
                throw e;
            }
            return "";
        }

        @Command("store")
        public String store(CommandArgument argument, CommandContext context) {
            context.session().put("value", argument.text());
            return "";
        }

        @Command("recall")
        public String recall(CommandContext context) {
            return String.valueOf(context.session().get("value", String.class));
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
}
