package org.guestagent.itests.karaf;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.ops4j.pax.exam.CoreOptions.maven;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.configureConsole;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.editConfigurationFilePut;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.karafDistributionConfiguration;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.logLevel;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import javax.inject.Inject;

import org.apache.karaf.features.BundleInfo;
import org.apache.karaf.features.Feature;
import org.apache.karaf.features.FeaturesService;
import org.apache.karaf.features.Repository;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.api.console.SessionFactory;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.karaf.options.LogLevelOption.LogLevel;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.BundleListener;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * The features in stock Apache Karaf (apache-karaf-minimal from Maven Central, nothing added but
 * the agent's descriptor), as an operator uses them: feature:repo-add, feature:install of one
 * feature alone, the agent at work, feature:uninstall. The probe touches no package of the agent
 * (it would be refreshed away with it); it talks to the agent as the host and as a shell user do.
 *
 * The agent runs on a scratch guest root (guestagent.root in etc/system.properties, so system
 * actions are recorded) with its sockets below it, set in etc/ as an operator would: a
 * configuration in etc/ wins over the features' defaults.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class FeaturesInKarafTest {
    private static final String VERSION = "0.1.0";
    private static final List<String> FEATURES = List.of("guest-agent-core", "guest-agent-xen", "guest-agent-kvm",
            "guest-agent-dev", "guest-agent-shell", "guest-agent-console");
    /** Generous: a loaded 2-core machine resolves, starts and answers slowly. */
    private static final long LIMIT_MILLIS = TimeUnit.SECONDS.toMillis(60);

    @Inject
    private BundleContext context;
    @Inject
    private FeaturesService features;
    @Inject
    private ConfigurationAdmin configurations;

    @Configuration
    public Option[] config() throws IOException {
        String karafVersion = System.getProperty("guestagent.karaf.version", "4.4.8");
        Path projectRoot = Path.of(System.getProperty("guestagent.project.root", "..")).toAbsolutePath().normalize();
        Path target = projectRoot.resolve("itests-karaf/target");
        Path repository = Path.of(System.getProperty("guestagent.karaf.repository", target.resolve("karaf-repository").toString()));
        Path root = Files.createTempDirectory(Files.createDirectories(target), "guest-root");
        Path run = root.resolve("run/guest-agent");
        Path client = projectRoot.resolve("launcher/target/guest-agent/bin/guest-agent-client");
        String localRepository = System.getProperty("org.ops4j.pax.url.mvn.localRepository",
                System.getProperty("user.home") + "/.m2/repository");
        return new Option[] {
            karafDistributionConfiguration()
                    .frameworkUrl(maven().groupId("org.apache.karaf").artifactId("apache-karaf-minimal").type("tar.gz").version(karafVersion))
                    .unpackDirectory(target.resolve("exam").toFile())
                    .useDeployFolder(false),
            configureConsole().ignoreLocalConsole().ignoreRemoteShell(),
            logLevel(LogLevel.INFO),
            // this build's artifacts first, then the stock repositories (the local one as Pax Exam's)
            editConfigurationFilePut("etc/org.ops4j.pax.url.mvn.cfg", "org.ops4j.pax.url.mvn.defaultRepositories",
                    repository.toUri() + "@id=guestagent.reactor,"
                    + "${karaf.home.uri}${karaf.default.repository}@id=system.repository@snapshots,"
                    + "${karaf.data.uri}kar@id=kar.repository@multi@snapshots"),
            editConfigurationFilePut("etc/org.ops4j.pax.url.mvn.cfg", "org.ops4j.pax.url.mvn.localRepository", localRepository),
            editConfigurationFilePut("etc/system.properties", "guestagent.root", root.toString()),
            editConfigurationFilePut("etc/system.properties", "guestagent.itest.client", client.toString()),
            editConfigurationFilePut("etc/org.guestagent.xenstore.simulator.cfg", "socket.path", run.resolve("xenstored.sock").toString()),
            editConfigurationFilePut("etc/org.guestagent.shell.cfg", "socket.path", run.resolve("shell.sock").toString()),
        };
    }

    @Before
    public void addTheRepository() throws Exception {
        URI uri = URI.create("mvn:org.guestagent/features/" + VERSION + "/xml/features");
        if (features.getRepository(uri) == null) {
            features.addRepository(uri);
        }
        assertNoProjectBundle("before the test");
    }

    @After
    public void uninstallEverything() throws Exception {
        // the features installed by name (those they pulled in go with them)
        for (Feature feature : features.listRequiredFeatures()) {
            if (feature.getName().startsWith("guest-agent-")) {
                features.uninstallFeature(feature.getName(), feature.getVersion());
            }
        }
        assertNoProjectBundle("after feature:uninstall");
    }

    /** Each feature on its own: resolves (Karaf checks every package and service requirement), starts, and goes away whole. */
    @Test
    public void eachFeatureInstallsAloneAndUninstallsWithoutTrace() throws Exception {
        Repository repository = features.getRepository("guest-agent-" + VERSION);
        assertNotNull("the descriptor's repository", repository);
        Set<String> names = new TreeSet<>();
        for (Feature feature : repository.getFeatures()) {
            names.add(feature.getName());
        }
        assertEquals(new TreeSet<>(FEATURES), names);

        for (String name : FEATURES) {
            features.installFeature(name, VERSION, EnumSet.of(FeaturesService.Option.NoAutoRefreshBundles));
            Feature feature = features.getFeature(name, VERSION);
            assertTrue(name + " installed", features.isInstalled(feature));
            for (BundleInfo bundle : feature.getBundles()) {
                if (bundle.isDependency()) {
                    continue; // installed only where nothing else provides what it does
                }
                Bundle installed = context.getBundle(bundle.getLocation());
                assertNotNull(name + ": " + bundle.getLocation() + " installed", installed);
            }
            List<String> notActive = new ArrayList<>();
            for (Bundle bundle : projectBundles()) {
                if (bundle.getState() != Bundle.ACTIVE) {
                    notActive.add(bundle.getSymbolicName() + " state " + bundle.getState());
                }
            }
            assertTrue(name + ": every agent bundle active: " + notActive, notActive.isEmpty());
            assertFalse(name + " brings agent bundles", projectBundles().isEmpty());

            features.uninstallFeature(name, VERSION);
            assertNoProjectBundle("after feature:uninstall " + name);
        }
        // Karaf's shell stays Karaf's: the launcher's Gogo bundles are not installed beside it
        for (Bundle bundle : context.getBundles()) {
            assertFalse(bundle.getSymbolicName(), bundle.getSymbolicName().startsWith("org.apache.felix.gogo"));
        }
    }

    /** guest-agent-core plus guest-agent-dev: the host client gets "version" through the simulator. */
    @Test
    public void coreAndDevAnswerVersionToTheHostClient() throws Exception {
        features.installFeature("guest-agent-core", VERSION, EnumSet.of(FeaturesService.Option.NoAutoRefreshBundles));
        features.installFeature("guest-agent-dev", VERSION, EnumSet.of(FeaturesService.Option.NoAutoRefreshBundles));

        // the features' configuration is the launcher's; what etc/ already held wins
        assertEquals("auto", configuration("org.guestagent.system.actions").get("mode"));
        assertEquals("/var/lib/guest-agent/updates", configuration("org.guestagent.commands.update").get("state.dir"));
        Path root = Path.of(context.getProperty("guestagent.root"));
        Path socket = root.resolve("run/guest-agent/xenstored.sock");
        assertEquals(socket.toString(), configuration("org.guestagent.xenstore.simulator").get("socket.path"));

        String client = context.getProperty("guestagent.itest.client");
        String answer = awaitValue("the host client's version answer", () -> run(client, "--socket", socket.toString(), "--timeout", "10", "version"),
                out -> out.startsWith("exit 0\n"));
        assertEquals("exit 0\n0 " + VERSION, answer.strip());
    }

    /** guest-agent-shell: agent:commands in a Karaf shell session, Karaf's own Gogo. */
    @Test
    public void shellFeatureServesAgentCommandsInKarafsShell() throws Exception {
        features.installFeature("guest-agent-shell", VERSION, EnumSet.of(FeaturesService.Option.NoAutoRefreshBundles));
        String table = awaitValue("agent:commands listing version", () -> karafShell("agent:commands"),
                out -> out.contains("version") && out.contains("password"));
        assertTrue(table, table.lines().anyMatch(l -> l.startsWith("version") && l.contains("org.guestagent.commands-misc")));
        assertEquals("0 " + VERSION, karafShell("agent:call version").strip());
        // the local shell channel listens where etc/org.guestagent.shell.cfg says, below the guest root
        Path socket = Path.of(context.getProperty("guestagent.root"), "run/guest-agent/shell.sock");
        assertEquals(socket.toString(), configuration("org.guestagent.shell").get("socket.path"));
        awaitValue("the shell socket " + socket, () -> Boolean.toString(Files.exists(socket)), "true"::equals);
    }

    /**
     * The JNA caveat and its remedy: jline (Karaf's console) imports com.sun.jna optionally, so the
     * first install of JNA refreshes jline and Karaf's shell (open sessions close), unless the
     * install asks for no refresh (feature:install -r).
     */
    @Test
    public void installWithoutRefreshLeavesKarafsConsoleRunning() throws Exception {
        List<String> stopped = new CopyOnWriteArrayList<>();
        BundleListener listener = event -> {
            String name = event.getBundle().getSymbolicName();
            if (event.getType() == BundleEvent.STOPPED && (name.equals("org.jline") || name.startsWith("org.apache.karaf.shell"))) {
                stopped.add(name);
            }
        };
        context.addBundleListener(listener);
        try {
            assertNoJna();
            features.installFeature("guest-agent-core", VERSION, EnumSet.of(FeaturesService.Option.NoAutoRefreshBundles));
            assertTrue("JNA came with guest-agent-core", Arrays.stream(context.getBundles()).anyMatch(b -> "com.sun.jna".equals(b.getSymbolicName())));
            assertEquals("no Karaf console bundle stopped with -r", List.of(), stopped);
            features.uninstallFeature("guest-agent-core", VERSION);
            assertNoJna();
            stopped.clear();

            features.installFeature("guest-agent-core", VERSION, EnumSet.noneOf(FeaturesService.Option.class));
            assertTrue("without -r Karaf refreshes jline: " + stopped, stopped.contains("org.jline"));
        } finally {
            context.removeBundleListener(listener);
        }
    }

    private Dictionary<String, Object> configuration(String pid) throws Exception {
        org.osgi.service.cm.Configuration[] found = configurations.listConfigurations("(service.pid=" + pid + ")");
        assertNotNull("a configuration " + pid, found);
        return found[0].getProperties();
    }

    private void assertNoJna() {
        assertFalse("JNA installed", Arrays.stream(context.getBundles()).anyMatch(b -> "com.sun.jna".equals(b.getSymbolicName())));
    }

    private List<Bundle> projectBundles() {
        List<Bundle> result = new ArrayList<>();
        for (Bundle bundle : context.getBundles()) {
            if (bundle.getSymbolicName() != null && bundle.getSymbolicName().startsWith("org.guestagent.")) {
                result.add(bundle);
            }
        }
        return result;
    }

    private void assertNoProjectBundle(String when) {
        List<String> left = new ArrayList<>();
        for (Bundle bundle : projectBundles()) {
            left.add(bundle.getSymbolicName() + " " + bundle.getVersion());
        }
        assertEquals("agent bundles " + when, List.of(), left);
    }

    /** One command line in a new session of Karaf's shell, as a user types it; its output and result. */
    private String karafShell(String line) throws Exception {
        ServiceReference<SessionFactory> ref = context.getServiceReference(SessionFactory.class);
        assertNotNull("Karaf's shell", ref);
        SessionFactory factory = context.getService(ref);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        try (Session session = factory.create(new ByteArrayInputStream(new byte[0]), out, out)) {
            Object result = session.execute(line);
            if (result != null) {
                out.println(result);
            }
        } catch (Exception e) {
            out.println("failed: " + e);
        } finally {
            context.ungetService(ref);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return "timed out: " + String.join(" ", command);
        }
        return "exit " + p.exitValue() + "\n" + new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    /** Asks again until the value fits (services start after the install returns). */
    private static String awaitValue(String what, Question ask, java.util.function.Predicate<String> fits) throws Exception {
        long deadline = System.currentTimeMillis() + LIMIT_MILLIS;
        String value = ask.get();
        while (!fits.test(value)) {
            if (System.currentTimeMillis() > deadline) {
                fail("no " + what + " within " + LIMIT_MILLIS / 1000 + " s; last:\n" + value);
            }
            Thread.sleep(300);
            value = ask.get();
        }
        return value;
    }

    private interface Question {
        String get() throws Exception;
    }
}
