package org.guestagent.xenstore.simulator;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.Hashtable;

import org.guestagent.xenstore.XenStoreEndpoint;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Runs the simulator inside the container (the guest-agent-dev feature's embedded XenStore). When enabled it
 * publishes a {@link XenStoreEndpoint}, and the XenStore exchange connects to that socket.
 */
@Component(configurationPid = SimulatorComponent.PID, service = {}, immediate = true)
@Designate(ocd = SimulatorComponent.Config.class)
public class SimulatorComponent {

    public static final String PID = "org.guestagent.xenstore.simulator";

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

    private XenStoreSimulator simulator;
    private ServiceRegistration<XenStoreEndpoint> registration;

    @Activate
    void activate(Config config, BundleContext context) {
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
        Hashtable<String, Object> props = new Hashtable<>();
        props.put("xenstore.socket", socket.toString());
        registration = context.registerService(XenStoreEndpoint.class, () -> socket, props);
    }

    @Deactivate
    void deactivate() {
        if (registration != null) {
            registration.unregister();
            registration = null;
        }
        if (simulator != null) {
            simulator.stop();
            simulator = null;
        }
    }
}
