package org.guestagent.itests.files;

import static org.guestagent.itests.support.Json.answer;
import static org.guestagent.itests.support.Json.request;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.options;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Random;

import javax.inject.Inject;

import org.guestagent.api.transport.Exchange;
import org.guestagent.api.runtime.PairingRegistry;
import org.guestagent.api.system.GuestFiles;
import org.guestagent.api.system.SystemActions;
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
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

/**
 * The system seam and the file commands in the real container, driven by nova JSON requests
 * through the real parser: the root comes from the framework property, both injection forms
 * land the same bytes below it, errors come back as 500s, actions are recorded below the root.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class FileInjectionInContainerTest {

    @Inject
    private BundleContext context;
    @Inject
    private PairingRegistry pairs;
    @Inject
    private GuestFiles files;
    @Inject
    private SystemActions actions;

    private QueueExchange host;
    private ServiceRegistration<Exchange> registration;

    @Configuration
    public Option[] config() throws IOException {
        Path root = AgentBundles.scratch("guest-root");
        return options(AgentBundles.foundation(),
                AgentBundles.seam(),
                AgentBundles.ours("bundles/ops-files"),
                AgentBundles.ours("bundles/commands-files"),
                frameworkProperty("guestagent.root").value(root.toString()));
    }

    @Before
    public void connectHost() throws InterruptedException {
        host = new QueueExchange("files-host");
        registration = host.register(context, pairs);
    }

    @After
    public void disconnectHost() {
        registration.unregister();
    }

    @Test
    public void featuresAdvertiseBothForms() throws Exception {
        String features = host.call(request("features", "\"\""));
        String names = features.substring(features.indexOf("\"message\":\"") + 11, features.lastIndexOf('"'));
        List<String> list = Arrays.asList(names.split(","));
        assertTrue(features, list.contains("injectfile"));
        assertTrue(features, list.contains("file_inject"));
    }

    @Test
    public void bothFormsLandTheSameBytesBelowTheRoot() throws Exception {
        byte[] contents = new byte[2048];
        new Random(5).nextBytes(contents);
        byte[] old = concat("/srv/old-form,".getBytes(StandardCharsets.UTF_8), contents);

        assertEquals(answer("0", ""), host.call(request("injectfile", quoted(b64(old)))));
        assertEquals(answer("0", ""), host.call(request("file_inject", "{\"b64_path\": " + quoted(b64(bytes("/srv/new-form")))
                + ", \"b64_file\": " + quoted(b64(contents)) + "}")));

        assertArrayEquals(contents, Files.readAllBytes(files.root().resolve("srv/old-form")));
        assertArrayEquals(contents, Files.readAllBytes(files.root().resolve("srv/new-form")));
    }

    @Test
    public void failuresAnswer500WithAClearMessage() throws Exception {
        assertEquals(answer("500", "The path relative/path is not absolute"),
                host.call(request("injectfile", quoted(b64(bytes("relative/path,x"))))));
        assertEquals(answer("500", "file_inject data is missing the 'b64_file' key"),
                host.call(request("file_inject", "{\"b64_path\": " + quoted(b64(bytes("/x"))) + "}")));
        assertEquals(answer("500", "Couldn't decode base64 data in the injectfile data"),
                host.call(request("injectfile", "\"%%%\"")));
    }

    @Test
    public void actionsAreRecordedBelowTheScratchRoot() throws IOException {
        assertTrue(actions.isRecording());
        actions.setHostname("web1");
        List<String> log = Files.readAllLines(files.root().resolve("var/lib/guest-agent/actions.log"));
        assertTrue(log.toString(), log.contains("sethostname web1"));
    }

    private static String quoted(String text) {
        return "\"" + text + "\"";
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String b64(byte[] bytes) {
        return Base64.getEncoder().encodeToString(bytes);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] result = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, result, a.length, b.length);
        return result;
    }
}
