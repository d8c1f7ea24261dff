package org.guestagent.itests.core;

import static org.guestagent.itests.support.Json.answer;
import static org.guestagent.itests.support.Json.request;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.options;

import java.nio.file.Files;
import java.nio.file.Path;

import javax.inject.Inject;

import org.guestagent.api.runtime.PairingRegistry;
import org.guestagent.itests.support.AgentBundles;
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

/**
 * The vendor bundles a newcomer builds: examples/vendor-commands (the command package, built by its
 * own parent-free pom) and itests/sample-commands (the first, deprecated API) answer side by side.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class VendorExampleTest {

    @Inject
    private BundleContext context;
    @Inject
    private PairingRegistry pairs;

    @Configuration
    public Option[] config() {
        Path example = AgentBundles.projectRoot().resolve("examples/vendor-commands/target/vendor-commands-1.0.0.jar");
        if (!Files.isRegularFile(example)) {
            throw new IllegalStateException("Build examples/vendor-commands first: " + example + " is missing");
        }
        return options(AgentBundles.foundation(), bundle(example.toUri().toString()),
                AgentBundles.ours("itests/sample-commands"));
    }

    @Test
    public void theExampleAndAnOldStyleVendorBundleBothAnswer() throws Exception {
        QueueExchange host = new QueueExchange("vendor");
        ServiceRegistration<?> exchange = host.register(context, pairs);
        try {
            assertEquals(answer("0", "hello from the example vendor"), host.call(request("example_hello", "\"\"")));
            assertEquals(answer("0", "ping"), host.call(request("example_echo", "\"ping\"")));
            assertEquals("an invalid argument is nova's 500", answer("500", "example_echo takes a text"),
                    host.call(request("example_echo", "42")));
            assertEquals(answer("0", "hello from vendor"), host.call(request("sample_hello", "\"\"")));
            assertEquals(answer("0", "x"), host.call(request("sample_echo", "\"x\"")));
            String features = host.call(request("features", "\"\""));
            assertTrue(features, features.contains("example_hello") && features.contains("example_echo")
                    && features.contains("sample_hello"));
        } finally {
            exchange.unregister();
        }
    }
}
