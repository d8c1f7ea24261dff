package org.guestagent.shell.listener;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Keeps the shell socket open while the shell itself is loaded only when used: a connection
 * starts the shell's bundles ({@link ShellRuntime}), and they are stopped again after
 * {@code idle.seconds} without a connection.
 */
@Component(service = {}, configurationPid = ShellListener.PID, configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = ShellListener.Config.class)
public class ShellListener {
    static final String PID = "org.guestagent.shell";
    static final String SHELL_BUNDLES = "org.apache.felix.gogo.runtime,org.apache.felix.gogo.command,"
            + "org.apache.felix.gogo.shell,org.guestagent.shell";
    private static final System.Logger LOG = System.getLogger(ShellListener.class.getName());

    @ObjectClassDefinition(name = "Guest agent shell channel")
    public @interface Config {
        @AttributeDefinition(description = "Socket file; empty: shell.sock in the agent's run folder (/run/guest-agent as root)")
        String socket_path() default "";

        @AttributeDefinition(description = "Most shell connections served at once")
        int max_sessions() default 4;

        @AttributeDefinition(description = "Seconds without a shell connection after which the shell's bundles are stopped; negative: never")
        long idle_seconds() default 300;

        @AttributeDefinition(description = "Symbolic names of the bundles a connection starts, in start order (comma-separated)")
        String runtime_bundles() default SHELL_BUNDLES;
    }

    private final String runDir;
    /** The --root tree (untrusted), or null. */
    private final Path root;
    private final ShellRuntime runtime;
    private volatile ShellSocket socket;

    @Activate
    public ShellListener(BundleContext context, Config config) throws IOException {
        this.runDir = context.getProperty("guestagent.run.dir");
        String rootProperty = context.getProperty("guestagent.root");
        this.root = rootProperty == null || rootProperty.isBlank() ? null : Path.of(rootProperty);
        this.runtime = new ShellRuntime(context, names(config.runtime_bundles()), config.idle_seconds());
        startForContainerShell(context);
        try {
            socket = listen(config);
        } catch (IOException | RuntimeException e) {
            runtime.close();
            throw e;
        }
    }

    /**
     * A new configuration (FileInstall delivers config/org.guestagent.shell.cfg after the boot)
     * rebinds the socket only when its path changed, so the shell stays reachable.
     */
    @Modified
    void modified(Config config) throws IOException {
        runtime.configure(names(config.runtime_bundles()), config.idle_seconds());
        Path wanted = ShellSocket.socketPath(config.socket_path(), runDir);
        if (wanted.equals(socket.path())) {
            socket.maxSessions(config.max_sessions());
            return;
        }
        socket.close();
        socket = listen(config);
    }

    private ShellSocket listen(Config config) throws IOException {
        Path path = ShellSocket.socketPath(config.socket_path(), runDir);
        try {
            ShellSocket opened = new ShellSocket(path, root, config.max_sessions(), runtime);
            LOG.log(System.Logger.Level.INFO, "shell listening on {0}", path);
            return opened;
        } catch (IOException e) {
            // SCR reports the failed activation on stderr only, which a detached agent has not
            LOG.log(System.Logger.Level.ERROR, "The shell channel is not started: {0}", e.getMessage());
            throw e;
        }
    }

    /**
     * In a container with a shell of its own (Apache Karaf: no Gogo runtime bundle, its shell core
     * provides the command processor) the agent's shell commands serve that shell, so they are
     * started at once and never stopped for idleness.
     */
    private static void startForContainerShell(BundleContext context) {
        boolean gogo = false;
        org.osgi.framework.Bundle agentShell = null;
        for (org.osgi.framework.Bundle b : context.getBundles()) {
            gogo |= "org.apache.felix.gogo.runtime".equals(b.getSymbolicName());
            agentShell = "org.guestagent.shell".equals(b.getSymbolicName()) ? b : agentShell;
        }
        if (gogo || agentShell == null || agentShell.getState() == org.osgi.framework.Bundle.ACTIVE) {
            return;
        }
        try {
            agentShell.start(org.osgi.framework.Bundle.START_TRANSIENT);
            LOG.log(System.Logger.Level.INFO, "the container has a shell of its own: the agent's shell commands stay loaded");
        } catch (org.osgi.framework.BundleException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot start the agent's shell commands: " + e.getMessage(), e);
        }
    }

    static List<String> names(String commaSeparated) {
        return Arrays.stream(commaSeparated.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
    }

    @Deactivate
    void deactivate() {
        socket.close();
        runtime.close();
    }
}
