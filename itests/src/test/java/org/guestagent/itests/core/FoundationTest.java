package org.guestagent.itests.core;

import static org.guestagent.itests.support.Json.answer;
import static org.guestagent.itests.support.Json.request;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.options;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import javax.inject.Inject;

import org.guestagent.api.command.Command;
import org.guestagent.api.command.CommandArgument;
import org.guestagent.api.transport.CommandInvoker;
import org.guestagent.api.runtime.CommandRegistry;
import org.guestagent.api.command.CommandResult;
import org.guestagent.api.command.CommandSet;
import org.guestagent.api.transport.Exchange;
import org.guestagent.api.runtime.PairingRegistry;
import org.guestagent.api.runtime.PairingRegistry.PairInfo;
import org.guestagent.api.transport.Parser;
import org.guestagent.api.transport.RawRequest;
import org.guestagent.api.command.Session;
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
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * The foundation in the real container: pairing, version/features, the parser's exact error
 * texts, hot install and removal of a command bundle while requests flow, ranking, and commands
 * that throw, return nothing or hang.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class FoundationTest {

    @Inject
    private BundleContext context;
    @Inject
    private CommandRegistry commands;
    @Inject
    private PairingRegistry pairs;
    @Inject
    private ConfigurationAdmin configAdmin;

    private final List<ServiceRegistration<?>> registrations = new ArrayList<>();
    private QueueExchange host;

    @Configuration
    public Option[] config() {
        return options(AgentBundles.foundation(), AgentBundles.ours("bundles/api"));
    }

    @Before
    public void connectHost() throws Exception {
        host = new QueueExchange("host");
        registrations.add(host.register(context, pairs));
    }

    @After
    public void unregisterAll() {
        registrations.forEach(ServiceRegistration::unregister);
        registrations.clear();
    }

    @Test
    public void testExchangeAndParserOfOneProtocolArePairedAndServe() throws Exception {
        QueueExchange echoHost = new QueueExchange("echo");
        register(Exchange.class, echoHost, Exchange.PROTOCOL, "echo-test");
        assertEquals("no parser for echo-test yet, so no pair", null, pairNamed("queue:echo"));

        ServiceRegistration<?> parser = register(Parser.class, new UpperCaseParser(), Exchange.PROTOCOL, "echo-test");
        Await.until("echo pair forms", () -> pairNamed("queue:echo") != null);
        assertEquals("HELLO", echoHost.call("hello"));
        // the pair counts a request as served once its reply is sent, just after the host has it
        Await.until("the pair counts the request", () -> pairNamed("queue:echo").served() == 1);
        PairInfo info = pairNamed("queue:echo");
        assertEquals("echo-test", info.protocol());
        assertEquals(1, info.served());
        assertTrue(info.lastRequest() != null);

        parser.unregister();
        registrations.remove(parser);
        Await.until("pair dissolves without its parser", () -> pairNamed("queue:echo") == null);
        register(Parser.class, new UpperCaseParser(), Exchange.PROTOCOL, "echo-test");
        Await.until("pair forms again", () -> pairNamed("queue:echo") != null);
        assertEquals("AGAIN", echoHost.call("again"));
    }

    @Test
    public void testVersionAndFeatures() throws Exception {
        assertEquals(answer("0", "0.1.0"), host.call(request("version", "\"agent\"")));
        String features = host.call(request("features", "\"\""));
        assertTrue(features, features.startsWith("{\"returncode\":\"0\",\"message\":\""));
        for (String name : List.of("version", "features")) {
            assertTrue(features, features.contains(name));
        }
    }

    @Test
    public void testParserErrorTextsAreExact() throws Exception {
        assertEquals(answer("500", "Internal error with request"), host.call(""));
        assertEquals(answer("500", "Request is malformed"), host.call("this is not json"));
        assertEquals(answer("500", "Request is malformed"),
                host.send(new byte[] {'{', '"', (byte) 0xC3, (byte) 0x28, '"', '}'}).get(30, TimeUnit.SECONDS));
        assertEquals(answer("500", "Request is missing 'name' key"), host.call("{\"value\": \"x\"}"));
        assertEquals(answer("404", "No such agent command 'nonesuch'"), host.call(request("nonesuch", "\"\"")));
    }

    @Test
    public void testCommandBundleInstalledAndRemovedWhileRequestsFlow() throws Exception {
        List<CompletableFuture<String>> flowing = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            flowing.add(host.send(request("version", "\"agent\"")));
        }
        Bundle sample = context.installBundle(AgentBundles.jar("itests/sample-commands").toURI().toString());
        sample.start();
        for (int i = 0; i < 20; i++) {
            flowing.add(host.send(request("version", "\"agent\"")));
        }
        Await.until("sample_hello appears", () -> hasCommand("sample_hello"));
        assertEquals(answer("0", "hello from vendor"), host.call(request("sample_hello", "\"\"")));
        assertTrue(host.call(request("features", "\"\"")).contains("sample_hello"));

        sample.uninstall();
        Await.until("sample_hello vanishes", () -> !hasCommand("sample_hello"));
        assertEquals(answer("404", "No such agent command 'sample_hello'"), host.call(request("sample_hello", "\"\"")));
        assertTrue(!host.call(request("features", "\"\"")).contains("sample_hello"));
        for (CompletableFuture<String> answer : flowing) {
            assertEquals(answer("0", "0.1.0"), answer.get(30, TimeUnit.SECONDS));
        }
        assertEquals(0, host.unanswered());
    }

    @Test
    public void testHigherRankingWinsAndTheOtherTakesOverWhenItGoes() throws Exception {
        register(CommandSet.class, new Greeter("built-in"), Constants.SERVICE_RANKING, 0);
        ServiceRegistration<?> vendor = register(CommandSet.class, new Greeter("vendor"), Constants.SERVICE_RANKING, 10);
        assertEquals(answer("0", "vendor"), host.call(request("greet", "\"\"")));
        vendor.unregister();
        registrations.remove(vendor);
        assertEquals(answer("0", "built-in"), host.call(request("greet", "\"\"")));
        register(CommandSet.class, new Greeter("low"), Constants.SERVICE_RANKING, -5);
        assertEquals(answer("0", "built-in"), host.call(request("greet", "\"\"")));
    }

    @Test
    public void testThrowingNullAndHangingCommandsGet500NamingThemAndTheDispatcherServesOn() throws Exception {
        org.osgi.service.cm.Configuration core = configAdmin.getConfiguration("org.guestagent.core", "?");
        Dictionary<String, Object> settings = new Hashtable<>();
        settings.put("command.timeout.seconds", 1);
        core.update(settings);
        try {
            register(CommandSet.class, new BadCommands());
            assertEquals(answer("500", "Command 'explode' failed: disk on fire"), host.call(request("explode", "\"\"")));
            assertEquals(answer("500", "Command 'nothing' returned no result"), host.call(request("nothing", "\"\"")));
            // ConfigAdmin delivers asynchronously; SCR publishes the new value on the service once applied
            Await.until("the short limit is in force", () -> Integer.valueOf(1).equals(
                    context.getServiceReference(CommandRegistry.class).getProperty("command.timeout.seconds")));
            assertEquals(answer("500", "Command 'hang' did not finish within 1 seconds"),
                    host.call(request("hang", "\"\"")));
            assertEquals(answer("0", "0.1.0"), host.call(request("version", "\"agent\"")));
            assertTrue(pairNamed("queue:host").errors() >= 3);
        } finally {
            core.delete();
        }
    }

    @Test
    public void testArgumentKindsReachTheCommandAsSent() throws Exception {
        register(CommandSet.class, new ArgumentEcho());
        assertEquals(answer("0", "TEXT:abc"), host.call(request("kind", "\"abc\"")));
        assertEquals(answer("0", "NUMBER:12345678901234567890"), host.call(request("kind", "12345678901234567890")));
        assertEquals(answer("0", "OBJECT:{a=1}"), host.call(request("kind", "{\"a\": 1}")));
        assertEquals(answer("0", "TEXT:"), host.call("{\"name\": \"kind\"}"));
    }

    private boolean hasCommand(String name) {
        return commands.commands().stream().anyMatch(c -> c.name().equals(name));
    }

    private PairInfo pairNamed(String exchange) {
        return pairs.pairs().stream().filter(p -> p.exchange().equals(exchange)).findFirst().orElse(null);
    }

    private <S> ServiceRegistration<?> register(Class<S> type, S service, Object... properties) {
        Dictionary<String, Object> props = new Hashtable<>();
        for (int i = 0; i < properties.length; i += 2) {
            props.put((String) properties[i], properties[i + 1]);
        }
        ServiceRegistration<S> registration = context.registerService(type, service, props);
        registrations.add(registration);
        return registration;
    }


    /** A parser of a made-up protocol: answers the body in upper case. */
    public static final class UpperCaseParser implements Parser {
        @Override
        public byte[] handle(RawRequest request, CommandInvoker invoker, Session session) {
            return new String(request.body(), StandardCharsets.UTF_8).toUpperCase().getBytes(StandardCharsets.UTF_8);
        }
    }

    /** Offers "greet", answering with its own name. */
    public static final class Greeter implements CommandSet {
        private final String who;

        Greeter(String who) {
            this.who = who;
        }

        @Command("greet")
        public String greet() {
            return who;
        }
    }

    /** Commands that misbehave. */
    public static final class BadCommands implements CommandSet {
        @Command("explode")
        public String explode() {
            throw new IllegalStateException("disk on fire");
        }

        @Command("nothing")
        public CommandResult nothing() {
            return null;
        }

        @Command("hang")
        public String hang() throws InterruptedException {
            Thread.sleep(TimeUnit.MINUTES.toMillis(5));
            return "woke up";
        }
    }

    /** Reports the kind and value of its argument. */
    public static final class ArgumentEcho implements CommandSet {
        @Command("kind")
        public String kind(CommandArgument argument) {
            return argument.kind() + ":" + argument;
        }
    }

}
