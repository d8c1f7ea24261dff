package org.guestagent.xenstore.simulator;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.Dictionary;
import java.util.Hashtable;

import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.cm.ConfigurationPlugin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Runs the simulator inside the container (the guest-agent-dev feature's embedded XenStore). When enabled it
 * supplies its socket to the XenStore exchange through the exchange's configuration: a ConfigAdmin
 * {@link ConfigurationPlugin} sets {@code transport = socket} and {@code socket.path} of PID
 * {@value #EXCHANGE_PID} in what ConfigAdmin delivers to the exchange, never in what it stores (nor in
 * the file), so a file change keeps them and nothing of the simulator outlives it: not a stop, and not
 * a SIGKILL after which the kept bundle cache starts the agent without the dev feature. Starting and
 * stopping, it has ConfigAdmin deliver the stored configuration again. The exchange knows nothing of it.
 */
@Component(configurationPid = SimulatorComponent.PID, service = {}, immediate = true)
@Designate(ocd = SimulatorComponent.Config.class)
public class SimulatorComponent {

    public static final String PID = "org.guestagent.xenstore.simulator";
    /** The XenStore exchange's configuration, and the two of its properties that name the connection. */
    static final String EXCHANGE_PID = "org.guestagent.exchange.xenstore";
    static final String TRANSPORT = "transport";
    static final String SOCKET_PATH = "socket.path";

    @ObjectClassDefinition(name = "XenStore simulator", description = "An in-memory xenstored for development and demos")
    public @interface Config {
        @AttributeDefinition(description = "Run the simulator and let XenStore users in the container connect to it")
        boolean enabled() default true;

        @AttributeDefinition(description = "Unix socket for guest connections")
        String socket_path() default "/tmp/guest-agent-xenstored/socket";

        @AttributeDefinition(description = "The domain id guest connections act as")
        int guest_domid() default XenStoreSimulator.DEFAULT_GUEST_DOMID;

        @AttributeDefinition(description = "Optional unix socket whose connections act as domain 0 (the host); empty: none")
        String dom0_socket_path() default "";

        @AttributeDefinition(description = "Nodes each unprivileged domain may own, as C xenstored's --entry-nb (default 1000); beyond it EQUOTA")
        int node_quota() default XenStoreSimulator.DEFAULT_NODE_QUOTA;
    }

    private static final System.Logger LOG = System.getLogger(SimulatorComponent.class.getName());

    @Reference
    ConfigurationAdmin configAdmin;
    private XenStoreSimulator simulator;
    /** The socket the exchange is pointed at, or null when none. */
    private volatile String supplied;
    private ServiceRegistration<ConfigurationPlugin> overlay;

    @Activate
    void activate(BundleContext context, Config config) {
        if (!config.enabled()) {
            return;
        }
        Path socket = Path.of(config.socket_path());
        try {
            simulator = new XenStoreSimulator(config.guest_domid(), null).nodeQuota(config.node_quota()).start(socket);
            if (!config.dom0_socket_path().isBlank()) {
                simulator.listen(Path.of(config.dom0_socket_path()), 0);
            }
        } catch (IOException e) {
            LOG.log(Level.ERROR, "The XenStore simulator is not running: {0}. Set socket.path in {1}.cfg to a free path.",
                    e.getMessage(), PID);
            deactivate();
            return;
        }
        supplied = socket.toString();
        Hashtable<String, Object> properties = new Hashtable<>();
        properties.put(ConfigurationPlugin.CM_TARGET, new String[] { EXCHANGE_PID });
        // a plain object, not a DS service: ConfigAdmin may call it while this component activates
        overlay = context.registerService(ConfigurationPlugin.class, this::pointAtSimulator, properties);
        redeliver();
        LOG.log(Level.INFO, "The XenStore exchange ({0}) connects to the simulator at {1}", EXCHANGE_PID, supplied);
    }

    /** The plugin: the exchange's configuration, as ConfigAdmin delivers it, names the simulator's socket. */
    void pointAtSimulator(ServiceReference<?> target, Dictionary<String, Object> properties) {
        String socket = supplied;
        if (socket != null && EXCHANGE_PID.equals(properties.get(Constants.SERVICE_PID))) {
            properties.put(TRANSPORT, "socket");
            properties.put(SOCKET_PATH, socket);
        }
    }

    /**
     * Has ConfigAdmin deliver the exchange's configuration again, unchanged as stored, so that the
     * plugin's values are applied or dropped at once (ConfigAdmin does not redeliver when a plugin
     * comes or goes).
     */
    private void redeliver() {
        try {
            Configuration exchange = configAdmin.getConfiguration(EXCHANGE_PID, "?");
            Dictionary<String, Object> stored = exchange.getProperties();
            exchange.update(stored == null ? new Hashtable<>() : stored);
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "Could not have the XenStore exchange''s configuration delivered again: {0}", e.getMessage());
        }
    }

    @Deactivate
    void deactivate() {
        if (overlay != null) {
            supplied = null;
            overlay.unregister();
            overlay = null;
            redeliver();
        }
        if (simulator != null) {
            simulator.stop();
            simulator = null;
        }
    }
}
