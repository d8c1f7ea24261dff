package org.guestagent.xenstore.simulator;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.Dictionary;
import java.util.Hashtable;

import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.cm.ConfigurationEvent;
import org.osgi.service.cm.ConfigurationListener;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Runs the simulator inside the container (the guest-agent-dev feature's embedded XenStore). When enabled it
 * supplies its socket to the XenStore exchange through the exchange's configuration: it sets
 * {@code transport = socket} and {@code socket.path} of PID {@value #EXCHANGE_PID} in ConfigAdmin
 * (not in the file: FileInstall saves nothing back), sets them again when a file change replaces
 * them, and puts the earlier values back when it stops. The exchange knows nothing of it.
 */
@Component(configurationPid = SimulatorComponent.PID, service = ConfigurationListener.class, immediate = true)
@Designate(ocd = SimulatorComponent.Config.class)
public class SimulatorComponent implements ConfigurationListener {

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
    /** The exchange's connection settings before they pointed at the simulator. */
    private Object earlierTransport;
    private Object earlierSocket;

    @Activate
    void activate(Config config) {
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
        supplySocket();
    }

    /** A file change that replaced the exchange's settings: point it at the simulator again. */
    @Override
    public void configurationEvent(ConfigurationEvent event) {
        if (supplied != null && EXCHANGE_PID.equals(event.getPid()) && event.getType() == ConfigurationEvent.CM_UPDATED) {
            supplySocket();
        }
    }

    /** Sets the exchange's transport and socket to this simulator's, unless they are so already. */
    private synchronized void supplySocket() {
        String socket = supplied;
        if (socket == null) {
            return;
        }
        try {
            Configuration exchange = configAdmin.getConfiguration(EXCHANGE_PID, "?");
            Dictionary<String, Object> props = exchange.getProperties();
            if (props == null) {
                props = new Hashtable<>();
            }
            if (socket.equals(props.get(SOCKET_PATH)) && "socket".equals(props.get(TRANSPORT))) {
                return;
            }
            earlierTransport = props.get(TRANSPORT);
            earlierSocket = props.get(SOCKET_PATH);
            props.put(TRANSPORT, "socket");
            props.put(SOCKET_PATH, socket);
            exchange.update(props);
            LOG.log(Level.INFO, "The XenStore exchange ({0}) connects to the simulator at {1}", EXCHANGE_PID, socket);
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.ERROR, "Could not point the XenStore exchange at the simulator: {0}", e.getMessage());
        }
    }

    /** Puts the exchange's earlier settings back, if they are still the simulator's. */
    private synchronized void withdrawSocket() {
        String socket = supplied;
        supplied = null;
        if (socket == null) {
            return;
        }
        try {
            Configuration exchange = configAdmin.getConfiguration(EXCHANGE_PID, "?");
            Dictionary<String, Object> props = exchange.getProperties();
            if (props == null || !socket.equals(props.get(SOCKET_PATH))) {
                return;
            }
            restore(props, TRANSPORT, earlierTransport);
            restore(props, SOCKET_PATH, earlierSocket);
            exchange.update(props);
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "Could not give the XenStore exchange its own settings back: {0}", e.getMessage());
        }
    }

    private static void restore(Dictionary<String, Object> props, String key, Object earlier) {
        if (earlier == null) {
            props.remove(key);
        } else {
            props.put(key, earlier);
        }
    }

    @Deactivate
    void deactivate() {
        withdrawSocket();
        if (simulator != null) {
            simulator.stop();
            simulator = null;
        }
    }
}
