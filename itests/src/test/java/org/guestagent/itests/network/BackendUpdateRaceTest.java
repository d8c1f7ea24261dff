package org.guestagent.itests.network;

import static org.guestagent.itests.support.Json.answer;
import static org.guestagent.itests.support.Json.request;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.options;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import javax.inject.Inject;

import org.guestagent.api.runtime.CommandRegistry;
import org.guestagent.api.transport.Exchange;
import org.guestagent.api.hostdata.HostData;
import org.guestagent.api.runtime.PairingRegistry;
import org.guestagent.api.system.GuestFiles;
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
import org.osgi.framework.ServiceRegistration;
import org.osgi.framework.wiring.FrameworkWiring;

/**
 * After the boot: while the bundle of a network backend (itests/sample-vendor, for the made-up OS
 * "lateos") is being updated and refreshed, and held back at its restart, a resetnetwork waits for
 * it instead of answering 500 "Couldn't figure out my OS" from a half-wired state; version is
 * answered meanwhile on another pair.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class BackendUpdateRaceTest {
    private static final String VENDOR = "org.guestagent.sample-vendor";
    private static final String NETWORK = "{\"label\": \"public\", \"mac\": \"DE:AD:BE:EF:00:01\", \"ips\": [{\"ip\": \"192.0.2.42\","
            + " \"netmask\": \"255.255.255.0\", \"enabled\": \"1\", \"gateway\": \"192.0.2.1\"}], \"dns\": [\"192.0.2.2\"]}";

    @Inject
    private BundleContext context;
    @Inject
    private PairingRegistry pairs;
    @Inject
    private CommandRegistry commands;
    @Inject
    private GuestFiles files;

    private QueueExchange host;
    private QueueExchange bystander;
    private ServiceRegistration<Exchange> exchange;
    private ServiceRegistration<Exchange> bystanderExchange;

    @Configuration
    public Option[] config() {
        Path root = AgentBundles.scratch("backend-update-root");
        return options(AgentBundles.foundation(),
                AgentBundles.seam(),
                AgentBundles.network(),
                AgentBundles.ours("itests/sample-vendor"),
                frameworkProperty("guestagent.root").value(root.toString()));
    }

    @Before
    public void prepareGuestAndHost() throws Exception {
        write("/etc/os-release", "ID=lateos\n");
        write("/sys/class/net/eth0/address", "de:ad:be:ef:00:01\n");
        Map<String, String> values = Map.of("networking/deadbeef0001", NETWORK);
        HostData hostData = new HostData() {
            @Override
            public Optional<String> read(String path) {
                return Optional.ofNullable(values.get(path));
            }

            @Override
            public List<String> children(String path) {
                return values.keySet().stream().filter(k -> k.startsWith(path + "/"))
                        .map(k -> k.substring(path.length() + 1)).toList();
            }
        };
        host = new QueueExchange("backend-update").withHostData(hostData);
        exchange = host.register(context, pairs);
        bystander = new QueueExchange("bystander");
        bystanderExchange = bystander.register(context, pairs);
        Await.until("resetnetwork works with the vendor's backend", () -> host.call(request("resetnetwork", "\"\""))
                .equals(answer("0", "")));
    }

    @After
    public void disconnect() throws IOException {
        Files.deleteIfExists(files.resolve(HOLD));
        exchange.unregister();
        bystanderExchange.unregister();
    }

    private static final String HOLD = "/var/lib/sample-vendor/hold";

    @Test
    public void resetnetworkWaitsForTheBackendBundleBeingUpdatedAndRefreshed() throws Exception {
        Bundle vendor = bundle(VENDOR);
        Files.delete(files.resolve("/etc/lateos/net.conf"));
        write(HOLD, "held\n");
        CountDownLatch updating = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread update = new Thread(() -> {
            try {
                updating.countDown();
                vendor.update(); // stops, updates and starts it again: its backend's activation is held back
                CountDownLatch refreshed = new CountDownLatch(1);
                context.getBundle(0).adapt(FrameworkWiring.class).refreshBundles(List.of(vendor), e -> refreshed.countDown());
                refreshed.await(60, TimeUnit.SECONDS);
            } catch (Exception | Error e) {
                failure.set(e);
            }
        }, "test-update");
        update.start();
        updating.await();
        Await.until("the vendor's restart is held back", () -> Stream.of(update.getStackTrace())
                .anyMatch(frame -> frame.getClassName().endsWith(".HeldBack")));

        CompletableFuture<String> reset = host.send(request("resetnetwork", "\"\""));
        Await.until("resetnetwork is held or answered", () -> reset.isDone()
                || commands.runs().stream().anyMatch(r -> r.command().equals("resetnetwork")
                        && r.state() == CommandRegistry.RunState.WAITING));
        assertFalse("answered while its backend was being replaced: " + (reset.isDone() ? reset.get() : ""), reset.isDone());
        // an early command on another pair is answered meanwhile
        assertEquals(answer("0", "0.1.0"), bystander.call(request("version", "\"agent\"")));
        assertFalse(reset.isDone());

        // As agentupdate does, a hold covers the update's end and the refresh after it: between the
        // two no bundle is in transition, and a request let through there would meet the refresh.
        Hashtable<String, Object> holdProperties = new Hashtable<>();
        holdProperties.put(CommandRegistry.BOOT_HOLD_PROPERTY, "test: update, then refresh");
        ServiceRegistration<Object> updateHold = context.registerService(Object.class, new Object(), holdProperties);
        try {
            Files.delete(files.resolve(HOLD));
            update.join(60_000);
            assertFalse("the update and refresh finished", update.isAlive());
            assertFalse(reset.isDone());
        } finally {
            updateHold.unregister();
        }
        assertEquals(answer("0", ""), reset.get(60, TimeUnit.SECONDS));
        assertEquals("# written by the lateos backend\neth0 192.0.2.42/24\n", read("/etc/lateos/net.conf"));
        assertEquals(null, failure.get());
        assertEquals(Bundle.ACTIVE, bundle(VENDOR).getState());
    }

    private Bundle bundle(String symbolicName) {
        for (Bundle b : context.getBundles()) {
            if (symbolicName.equals(b.getSymbolicName())) {
                return b;
            }
        }
        throw new AssertionError(symbolicName + " is not installed");
    }

    private void write(String guestPath, String content) throws IOException {
        Path path = files.resolve(guestPath);
        Files.createDirectories(path.getParent());
        Files.writeString(path, content);
    }

    private String read(String guestPath) throws IOException {
        return new String(Files.readAllBytes(files.resolve(guestPath)), StandardCharsets.UTF_8);
    }
}
