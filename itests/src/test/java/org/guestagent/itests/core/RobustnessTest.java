package org.guestagent.itests.core;

import static org.guestagent.itests.support.Json.answer;
import static org.guestagent.itests.support.Json.request;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.options;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;

import javax.inject.Inject;

import org.guestagent.api.runtime.CommandRegistry;
import org.guestagent.api.transport.Exchange;
import org.guestagent.api.runtime.PairingRegistry;
import org.guestagent.itests.support.AgentBundles;
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
import org.osgi.framework.ServiceRegistration;

/**
 * Faults survived: thousands of random and malformed requests against every built-in command,
 * and a command bundle installed and removed a hundred times while requests flow.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class RobustnessTest {
    /** Any answer of the nova protocol: both fields strings. */
    private static final Pattern ANSWER = Pattern.compile("\\{\"returncode\":\"(0|D0|404|500)\",\"message\":\".*\"\\}",
            Pattern.DOTALL);

    @Inject
    private BundleContext context;
    @Inject
    private CommandRegistry commands;
    @Inject
    private PairingRegistry pairs;

    private QueueExchange host;
    private ServiceRegistration<Exchange> registration;

    @Configuration
    public Option[] config() {
        return options(AgentBundles.foundation(), AgentBundles.allCommands(AgentBundles.scratch("robust-root")));
    }

    @Before
    public void connectHost() throws Exception {
        host = new QueueExchange("robust");
        registration = host.register(context, pairs);
    }

    @After
    public void disconnect() {
        registration.unregister();
    }

    @Test
    public void tenThousandRandomAndMalformedRequestsAreAllAnswered() throws Exception {
        Random random = new Random(20261124L); // fixed seed: a failure can be replayed
        List<String> names = new ArrayList<>();
        commands.commands().forEach(c -> names.add(c.name()));
        assertTrue("the built-in commands are there: " + names, names.containsAll(
                List.of("version", "features", "keyinit", "password", "injectfile", "file_inject", "agentupdate",
                        "kmsactivate")));
        List<CompletableFuture<String>> answers = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            answers.add(host.send(randomRequest(random, names, i)));
            if (answers.size() % 500 == 0) {
                // Keep the queue bounded so memory stays flat; the order of answers is not at stake here.
                answers.get(answers.size() - 1).get(60, TimeUnit.SECONDS);
            }
        }
        for (CompletableFuture<String> answer : answers) {
            String text = answer.get(60, TimeUnit.SECONDS);
            assertTrue(text, ANSWER.matcher(text).matches());
        }
        assertEquals(answer("0", "0.1.0"), host.call(request("version", "\"agent\"")));
        assertEquals(0, host.unanswered());
    }

    @Test
    public void commandBundleChurnLeavesNoRequestUnanswered() throws Exception {
        String location = AgentBundles.jar("itests/sample-commands").toURI().toString();
        AtomicBoolean churning = new AtomicBoolean(true);
        List<CompletableFuture<String>> answers = new ArrayList<>();
        Thread sender = new Thread(() -> {
            while (churning.get() && answers.size() < 20_000) {
                synchronized (answers) {
                    answers.add(host.send(request("sample_hello", "\"\"")));
                    answers.add(host.send(request("version", "\"agent\"")));
                }
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        sender.start();
        try {
            for (int i = 0; i < 100; i++) {
                Bundle sample = context.installBundle(location);
                sample.start();
                sample.uninstall();
            }
        } finally {
            churning.set(false);
            sender.join(10_000);
        }
        String hello = answer("0", "hello from vendor");
        String absent = answer("404", "No such agent command 'sample_hello'");
        String version = answer("0", "0.1.0");
        synchronized (answers) {
            assertTrue("requests flowed during the churn", answers.size() > 100);
            for (CompletableFuture<String> future : answers) {
                String text = future.get(60, TimeUnit.SECONDS);
                assertTrue(text, text.equals(hello) || text.equals(absent) || text.equals(version));
            }
        }
        assertEquals(absent, host.call(request("sample_hello", "\"\"")));
    }

    private static byte[] randomRequest(Random random, List<String> names, int i) {
        String name = names.get(random.nextInt(names.size()));
        switch (i % 8) {
            case 0: { // random bytes
                byte[] junk = new byte[random.nextInt(200)];
                random.nextBytes(junk);
                return junk;
            }
            case 1: // deep JSON
                return ("{\"name\": \"" + name + "\", \"value\": " + "[".repeat(3000) + "]".repeat(3000) + "}")
                        .getBytes(StandardCharsets.UTF_8);
            case 2: // huge string
                return request(name, "\"" + "A".repeat(4000 + random.nextInt(4000)) + "\"").getBytes(StandardCharsets.UTF_8);
            case 3: // a number, sometimes huge or negative
                return request(name, random.nextBoolean() ? Long.toString(random.nextLong())
                        : "1" + "0".repeat(random.nextInt(400))).getBytes(StandardCharsets.UTF_8);
            case 4: // an object of wrong or missing members
                return request(name, "{\"url\": " + random.nextInt() + ", \"b64_path\": null, \"b64_file\": [1, 2],"
                        + " \"activation_key\": {}, \"md5sum\": true}").getBytes(StandardCharsets.UTF_8);
            case 5: // a list, null, boolean
                return request(name, List.of("[1, \"a\", null]", "null", "false").get(random.nextInt(3)))
                        .getBytes(StandardCharsets.UTF_8);
            case 6: { // random printable text, sometimes looking like base64
                StringBuilder text = new StringBuilder();
                for (int k = random.nextInt(60); k > 0; k--) {
                    text.append((char) (' ' + 1 + random.nextInt(94)));
                }
                String value = text.toString().replace("\\", "").replace("\"", "");
                return request(name, "\"" + value + "\"").getBytes(StandardCharsets.UTF_8);
            }
            default: // structurally odd requests
                return List.of("{}", "{\"name\": null}", "{\"name\": [\"version\"]}", "\"version\"", "{\"name\": 5}",
                        "{\"name\": \"version\", \"value\": \"agent\", \"name\": \"features\"}")
                        .get(random.nextInt(6)).getBytes(StandardCharsets.UTF_8);
        }
    }
}
