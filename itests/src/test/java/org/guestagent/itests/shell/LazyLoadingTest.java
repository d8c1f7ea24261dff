package org.guestagent.itests.shell;

import static org.guestagent.itests.support.Json.answer;
import static org.guestagent.itests.support.Json.request;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.mavenBundle;
import static org.ops4j.pax.exam.CoreOptions.options;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import javax.inject.Inject;

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
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

/**
 * What an agent nobody talks to keeps loaded: after the boot and 100 requests of the built-in
 * version, no command set but the built-in one is activated (SCR's runtime view) and the shell's
 * bundles (Gogo and the agent's shell commands, installed but not started, as the shell feature
 * installs them) are not active. A shell connection starts them, they stay while a connection is
 * open, they stop after the idle time without one, and the shell answers again after that, with
 * nothing lost of what a client sent while it was starting.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class LazyLoadingTest {
    private static final List<String> SHELL_BUNDLES = List.of("org.apache.felix.gogo.runtime", "org.apache.felix.gogo.command",
            "org.apache.felix.gogo.shell", "org.guestagent.shell");
    /** The command set bundles no boot-time request needs. */
    private static final List<String> LAZY_COMMAND_BUNDLES = List.of("org.guestagent.commands-password",
            "org.guestagent.commands-network", "org.guestagent.commands-update", "org.guestagent.commands-files",
            "org.guestagent.commands-kms");

    @Inject
    private BundleContext context;
    @Inject
    private PairingRegistry pairs;
    @Inject
    private ConfigurationAdmin configAdmin;
    @Inject
    private ServiceComponentRuntime scr;

    private final List<ServiceRegistration<?>> registrations = new ArrayList<>();
    private QueueExchange host;

    @Configuration
    public Option[] config() {
        return options(AgentBundles.foundation(),
                AgentBundles.allCommands(AgentBundles.scratch("lazy-root")),
                frameworkProperty("guestagent.run.dir").value(AgentBundles.scratch("lazy-run").toString()),
                AgentBundles.ours("bundles/shell-listener"),
                mavenBundle("org.apache.felix", "org.apache.felix.gogo.runtime").versionAsInProject().noStart(),
                mavenBundle("org.apache.felix", "org.apache.felix.gogo.command").versionAsInProject().noStart(),
                mavenBundle("org.apache.felix", "org.apache.felix.gogo.shell").versionAsInProject().noStart(),
                bundle(AgentBundles.jar("bundles/shell").toURI().toString()).noStart(),
                frameworkProperty("gosh.args").value("--noshutdown --nointeractive"));
    }

    @Before
    public void connectHost() throws Exception {
        host = new QueueExchange("host");
        registrations.add(host.register(context, pairs));
    }

    @After
    public void unregister() {
        registrations.forEach(ServiceRegistration::unregister);
        registrations.clear();
    }

    @Test
    public void commandSetsAndTheShellLoadOnlyWhenUsed() throws Exception {
        for (int i = 0; i < 100; i++) {
            assertEquals(answer("0", "0.1.0"), host.call(request("version", "\"agent\"")));
        }
        String features = host.call(request("features", "\"\""));
        for (String name : List.of("password", "keyinit", "resetnetwork", "agentupdate", "injectfile", "kmsactivate")) {
            assertTrue("features lists " + name + ": " + features, features.contains(name));
        }
        Map<String, Integer> active = activeCommandSets();
        assertEquals("command sets activated after 100 version requests and features", Map.of(), active);
        assertEquals("shell bundles after the boot", Map.of(), activeShellBundles());
        // nor what they use: agentupdate's manager (no update recorded) and the network backends
        assertEquals(List.of(), activeComponents("org.guestagent.commands-network"));
        assertFalse(activeComponents("org.guestagent.commands-update").contains("org.guestagent.commands.update.UpdateManager"));

        // a password request loads the password set, and only it
        host.call(request("keyinit", "\"1\""));
        assertEquals(List.of("org.guestagent.commands.password.PasswordCommands"), new ArrayList<>(activeCommandSets().keySet()));

        setIdleSeconds(1);
        // the probe class is loaded again in the container: ask the framework where the run folder is
        String socket = Path.of(context.getProperty("guestagent.run.dir")).resolve("shell.sock").toString();
        try (SocketChannel client = connect(socket)) {
            write(client, "# batch\nagent:call version\n");
            BufferedReader in = reader(client);
            assertEquals("0 0.1.0", in.readLine());
            assertEquals("a connection starts the shell", SHELL_BUNDLES.size(), activeShellBundles().size());
            // longer than the idle time, but a connection is open: the shell stays
            Thread.sleep(3_000);
            assertEquals("the shell stays while a connection is open", SHELL_BUNDLES.size(), activeShellBundles().size());
            write(client, "echo still here\n");
            assertEquals("still here", in.readLine());
        }
        Await.until("the shell stops after the idle time", Duration.ofSeconds(60), () -> activeShellBundles().isEmpty());

        // after the stop: the whole script is sent before the shell is up, and all of it is answered
        setIdleSeconds(300);
        try (SocketChannel client = connect(socket)) {
            write(client, "# batch\nagent:call version\necho two\nagent:call no_such_command\n");
            client.shutdownOutput();
            List<String> lines = reader(client).lines().toList();
            assertEquals(lines.toString(), 3, lines.size());
            assertEquals("0 0.1.0", lines.get(0));
            assertEquals("two", lines.get(1));
            assertEquals("404 No such agent command 'no_such_command'", lines.get(2));
        }
        assertEquals("the shell is loaded again", SHELL_BUNDLES.size(), activeShellBundles().size());
        assertFalse("the network set is still not loaded", activeCommandSets().containsKey("org.guestagent.commands.network.NetworkCommands"));
    }

    /** The activated components that offer a CommandSet in the bundles of the lazy command sets, with their bundle id. */
    private Map<String, Integer> activeCommandSets() {
        Map<String, Integer> active = new TreeMap<>();
        for (ComponentDescriptionDTO d : scr.getComponentDescriptionDTOs()) {
            if (!LAZY_COMMAND_BUNDLES.contains(context.getBundle(d.bundle.id).getSymbolicName())) {
                continue;
            }
            if (!List.of(d.serviceInterfaces).contains(CommandSet.class.getName())) {
                continue;
            }
            for (ComponentConfigurationDTO c : scr.getComponentConfigurationDTOs(d)) {
                if (c.state == ComponentConfigurationDTO.ACTIVE) {
                    active.put(d.name, c.state);
                }
            }
        }
        return active;
    }

    private List<String> activeComponents(String bundle) {
        List<String> active = new ArrayList<>();
        for (ComponentDescriptionDTO d : scr.getComponentDescriptionDTOs()) {
            if (bundle.equals(context.getBundle(d.bundle.id).getSymbolicName())
                    && scr.getComponentConfigurationDTOs(d).stream().anyMatch(c -> c.state == ComponentConfigurationDTO.ACTIVE)) {
                active.add(d.name);
            }
        }
        return active;
    }

    private Map<String, Integer> activeShellBundles() {
        Map<String, Integer> active = new TreeMap<>();
        for (Bundle b : context.getBundles()) {
            if (SHELL_BUNDLES.contains(b.getSymbolicName()) && b.getState() == Bundle.ACTIVE) {
                active.put(b.getSymbolicName(), b.getState());
            }
        }
        return active;
    }

    private void setIdleSeconds(int seconds) throws IOException, InterruptedException {
        org.osgi.service.cm.Configuration configuration = configAdmin.getConfiguration("org.guestagent.shell", "?");
        Dictionary<String, Object> props = new Hashtable<>();
        props.put("idle.seconds", seconds);
        configuration.update(props);
        // ConfigAdmin delivers it asynchronously; the listener reports nothing, so look at what SCR holds
        Await.until("the shell listener has idle.seconds=" + seconds, () -> scr.getComponentDescriptionDTOs().stream()
                .filter(d -> d.name.equals("org.guestagent.shell.listener.ShellListener"))
                .flatMap(d -> scr.getComponentConfigurationDTOs(d).stream())
                .anyMatch(c -> Integer.valueOf(seconds).equals(c.properties.get("idle.seconds"))));
    }

    private static SocketChannel connect(String socket) throws IOException {
        SocketChannel client = SocketChannel.open(StandardProtocolFamily.UNIX);
        client.connect(UnixDomainSocketAddress.of(socket));
        return client;
    }

    private static void write(SocketChannel client, String text) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        while (buffer.hasRemaining()) {
            client.write(buffer);
        }
    }

    private static BufferedReader reader(SocketChannel client) {
        return new BufferedReader(new InputStreamReader(Channels.newInputStream(client), StandardCharsets.UTF_8));
    }
}
