package org.guestagent.itests.update;

import static org.guestagent.itests.support.Json.answer;
import static org.guestagent.itests.support.Json.request;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.bootDelegationPackage;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.options;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import javax.inject.Inject;


import org.guestagent.api.PairingRegistry;
import org.guestagent.api.system.GuestFiles;
import org.guestagent.itests.support.AgentBundles;
import org.guestagent.itests.support.ArtifactServer;
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
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * agentupdate in the real container: a newer sample command bundle is downloaded from a loopback
 * HTTP server and put in place while requests flow on a second exchange; an archive with a broken
 * bundle changes nothing; refused downloads install nothing and leave no temporary files.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class AgentUpdateInContainerTest {
    private static final String PID = "org.guestagent.commands.update";
    private static final String SAMPLE = "org.guestagent.sample-commands";

    @Inject
    private BundleContext context;
    @Inject
    private PairingRegistry pairs;
    @Inject
    private GuestFiles files;
    @Inject
    private ConfigurationAdmin configAdmin;

    private final List<ServiceRegistration<?>> registrations = new ArrayList<>();
    private ArtifactServer server;
    private Path temp;
    private QueueExchange host;
    private QueueExchange bystander;

    @Configuration
    public Option[] config() throws IOException {
        Path root = AgentBundles.scratch("guest-root");
        return options(AgentBundles.foundation(),
                AgentBundles.seam(),
                AgentBundles.ours("bundles/commands-update"),
                AgentBundles.ours("itests/sample-commands"),
                bootDelegationPackage("com.sun.net.httpserver"),
                frameworkProperty("guestagent.root").value(root.toString()));
    }

    @Before
    public void setUp() throws Exception {
        temp = Files.createTempDirectory("agentupdate-itest");
        Hashtable<String, Object> settings = new Hashtable<>();
        settings.put("temp.dir", temp.toString());
        settings.put("apply.delay.ms", 200);
        settings.put("max.size", 4L * 1024 * 1024);
        settings.put("allow.http", true); // the loopback artifact server speaks http
        configAdmin.getConfiguration(PID, "?").update(settings);
        Await.until("the update manager takes its configuration", () -> managerUses(temp));

        server = new ArtifactServer();

        host = connect("update-host");
        bystander = connect("bystander");
        Await.until("sample_hello is offered", () -> host.call(request("features", "\"\"")).contains("sample_hello"));
    }

    @After
    public void tearDown() throws IOException {
        registrations.forEach(ServiceRegistration::unregister);
        registrations.clear();
        server.close();
        if (tempIsEmpty()) {
            Files.delete(temp);
        }
    }

    @Test
    public void newerCommandBundleIsPutInPlaceWhileRequestsAreAnswered() throws Exception {
        assertEquals(answer("0", UpdateArtifacts.OLD_ANSWER), host.call(request("sample_hello", "\"\"")));
        long pid = ProcessHandle.current().pid();
        byte[] newer = UpdateArtifacts.newerSample(AgentBundles.jar("itests/sample-commands").toPath(), "0.1.1");
        String url = serve("/sample-0.1.1.jar", newer);

        List<CompletableFuture<String>> during = new ArrayList<>();
        Thread traffic = new Thread(() -> {
            for (int i = 0; i < 40; i++) {
                during.add(bystander.send(request(i % 2 == 0 ? "version" : "sample_hello", "\"\"")));
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        traffic.start();
        assertEquals(answer("0", ""), host.call(request("agentupdate", "\"" + url + "," + UpdateArtifacts.md5(newer) + "\"")));
        traffic.join(30_000);

        Await.until("sample_hello answers from the newer bundle",
                () -> host.call(request("sample_hello", "\"\"")).equals(answer("0", UpdateArtifacts.NEW_ANSWER)));
        assertEquals("0.1.1", sample().getVersion().toString());
        assertEquals("updated in place, not installed beside", 1,
                Stream.of(context.getBundles()).filter(b -> SAMPLE.equals(b.getSymbolicName())).count());
        assertEquals(pid, ProcessHandle.current().pid());
        for (CompletableFuture<String> f : during) {
            String a = f.get(30, TimeUnit.SECONDS);
            assertTrue(a, a.contains("\"returncode\""));
        }
        assertEquals(0, bystander.unanswered());
        assertEquals(0, host.unanswered());
        String installed = Files.readString(files.resolve("/var/lib/guest-agent/updates/installed.txt"));
        assertTrue(installed, installed.contains(SAMPLE + " 0.1.1"));
        assertTrue(tempIsEmpty());

        String listing = (String) shell("updates");
        assertTrue(listing, listing.contains(SAMPLE + " 0.1.0 -> 0.1.1"));
        shell("rollback");
        Await.until("sample_hello answers from the old bundle again",
                () -> host.call(request("sample_hello", "\"\"")).equals(answer("0", UpdateArtifacts.OLD_ANSWER)));
        assertEquals("0.1.0", sample().getVersion().toString());
    }

    @Test
    public void theUpdateBundleReplacesItselfAfterAnswering() throws Exception {
        String self = "org.guestagent.commands-update";
        byte[] newer = UpdateArtifacts.reversioned(AgentBundles.jar("bundles/commands-update").toPath(), "0.1.1");
        String url = serve("/commands-update-0.1.1.jar", newer);
        assertEquals(answer("0", ""), host.call(request("agentupdate", "\"" + url + "," + UpdateArtifacts.md5(newer) + "\"")));
        Await.until("the newer update bundle runs",
                () -> Stream.of(context.getBundles()).anyMatch(b -> self.equals(b.getSymbolicName())
                        && b.getVersion().toString().equals("0.1.1") && b.getState() == Bundle.ACTIVE));
        Await.until("the replacement is recorded", () -> Files.readString(
                files.resolve("/var/lib/guest-agent/updates/installed.txt")).contains(self + " 0.1.1"));
        Await.until("agentupdate answers again", () -> host.call(request("agentupdate",
                "\"" + url + ",00112233445566778899aabbccddeeff\"")).contains("MD5 mismatch"));
        Await.until("the download folder is removed", this::tempIsEmpty);
        assertEquals(0, host.unanswered());
    }

    @Test
    public void archiveWithABrokenBundleChangesNothing() throws Exception {
        String versionBefore = sample().getVersion().toString();
        String answerBefore = host.call(request("sample_hello", "\"\""));
        int bundlesBefore = context.getBundles().length;
        Map<String, byte[]> jars = new LinkedHashMap<>();
        jars.put("sample.jar", UpdateArtifacts.newerSample(AgentBundles.jar("itests/sample-commands").toPath(), "0.2.0"));
        jars.put("broken.jar", UpdateArtifacts.brokenBundle("org.example.broken"));
        byte[] zip = UpdateArtifacts.archive(jars);
        String url = serve("/update.zip", zip);

        String a = host.call(request("agentupdate", "{\"url\": \"" + url + "\", \"md5sum\": \"" + UpdateArtifacts.md5(zip) + "\"}"));
        assertTrue(a, a.startsWith("{\"returncode\":\"500\"") && a.contains("org.example.broken"));
        assertEquals(versionBefore, sample().getVersion().toString());
        assertEquals(Bundle.ACTIVE, sample().getState());
        assertEquals(bundlesBefore, context.getBundles().length);
        Await.until("sample_hello answers as before",
                () -> host.call(request("sample_hello", "\"\"")).equals(answerBefore));
        assertTrue(tempIsEmpty());
    }

    @Test
    public void refusedDownloadsInstallNothingAndLeaveNoTemporaryFiles() throws Exception {
        byte[] newer = UpdateArtifacts.newerSample(AgentBundles.jar("itests/sample-commands").toPath(), "0.3.0");
        String url = serve("/sample-0.3.0.jar", newer);
        Map<String, byte[]> evil = new LinkedHashMap<>();
        evil.put("feature.xml", "<feature><bundle>../x.jar</bundle></feature>".getBytes());
        evil.put("../x.jar", newer);
        byte[] zip = UpdateArtifacts.zip(evil);
        String evilUrl = serve("/evil.zip", zip);
        int bundlesBefore = context.getBundles().length;
        String versionBefore = sample().getVersion().toString();

        List<String> answers = List.of(
                host.call(request("agentupdate", "\"" + url + ",00112233445566778899aabbccddeeff\"")),
                host.call(request("agentupdate", "{\"url\": \"" + url + "\", \"md5sum\": \"" + UpdateArtifacts.md5(newer)
                        + "\", \"sha256\": \"" + "ab".repeat(32) + "\"}")),
                host.call(request("agentupdate", "\"" + url.replace("sample-0.3.0", "missing") + "," + UpdateArtifacts.md5(newer) + "\"")),
                host.call(request("agentupdate", "\"" + evilUrl + "," + UpdateArtifacts.md5(zip) + "\"")));
        for (String a : answers) {
            assertTrue(a, a.startsWith("{\"returncode\":\"500\""));
        }
        assertTrue(answers.get(0), answers.get(0).contains("expected 00112233445566778899aabbccddeeff, got " + UpdateArtifacts.md5(newer)));
        assertEquals(bundlesBefore, context.getBundles().length);
        assertEquals(versionBefore, sample().getVersion().toString());
        assertTrue(tempIsEmpty());
    }

    private Bundle sample() {
        for (Bundle b : context.getBundles()) {
            if (SAMPLE.equals(b.getSymbolicName())) {
                return b;
            }
        }
        throw new AssertionError("the sample bundle is gone");
    }

    private String serve(String path, byte[] data) {
        return server.serve(path, data);
    }

    private QueueExchange connect(String name) throws InterruptedException {
        QueueExchange exchange = new QueueExchange(name);
        registrations.add(exchange.register(context, pairs));
        return exchange;
    }

    private boolean managerUses(Path folder) throws Exception {
        ServiceReference<?>[] refs = context.getServiceReferences((String) null,
                "(&(objectClass=org.guestagent.commands.update.UpdateManager)(temp.dir=" + folder + "))");
        return refs != null && refs.length > 0;
    }

    /** Calls a function of the agent's gogo commands, as the shell would. */
    private Object shell(String function) throws Exception {
        ServiceReference<?>[] refs = context.getServiceReferences((String) null, "(osgi.command.scope=agent)");
        for (ServiceReference<?> ref : refs == null ? new ServiceReference<?>[0] : refs) {
            Object service = context.getService(ref);
            try {
                return service.getClass().getMethod(function).invoke(service);
            } catch (NoSuchMethodException e) {
                continue;
            } finally {
                context.ungetService(ref);
            }
        }
        throw new AssertionError("no agent:" + function + " shell command");
    }

    private boolean tempIsEmpty() throws IOException {
        try (Stream<Path> list = Files.list(temp)) {
            return list.findAny().isEmpty();
        }
    }

}
