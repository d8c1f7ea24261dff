package org.guestagent.xenstore.simulator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.annotation.Annotation;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.cm.ConfigurationPlugin;

/**
 * The simulator supplies its socket through the XenStore exchange's configuration as ConfigAdmin
 * delivers it (a ConfigurationPlugin), never through what ConfigAdmin stores, and takes it back.
 */
class SimulatorComponentTest {

    @TempDir
    Path scratch;

    /** The exchange's configuration as ConfigAdmin stores it: properties, replaced by update(). */
    private Dictionary<String, Object> stored;
    /** What ConfigAdmin delivered to the exchange at each update: the stored values through the plugins. */
    private final List<Dictionary<String, Object>> delivered = new ArrayList<>();
    /** The plugins registered now, with their cm.target. */
    private final List<ConfigurationPlugin> plugins = new ArrayList<>();
    private Object target;

    private ConfigurationAdmin configAdmin() {
        Configuration exchange = (Configuration) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] { Configuration.class }, (proxy, method, args) -> switch (method.getName()) {
                    case "getProperties" -> stored == null ? null : copy(stored);
                    case "update" -> {
                        stored = copy(cast(args[0]));
                        deliver(SimulatorComponent.EXCHANGE_PID, stored);
                        yield null;
                    }
                    case "getPid" -> SimulatorComponent.EXCHANGE_PID;
                    default -> throw new UnsupportedOperationException(method.getName());
                });
        return (ConfigurationAdmin) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] { ConfigurationAdmin.class }, (proxy, method, args) -> {
                    if (method.getName().equals("getConfiguration") && SimulatorComponent.EXCHANGE_PID.equals(args[0])) {
                        return exchange;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }

    /** As ConfigAdmin does: a copy of the stored values with service.pid, through every plugin. */
    private Dictionary<String, Object> deliver(String pid, Dictionary<String, Object> values) {
        Dictionary<String, Object> copy = copy(values);
        copy.put("service.pid", pid);
        for (ConfigurationPlugin plugin : plugins) {
            plugin.modifyConfiguration(null, copy);
        }
        delivered.add(copy);
        return copy;
    }

    private BundleContext bundleContext() {
        return (BundleContext) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] { BundleContext.class },
                (proxy, method, args) -> {
                    if (method.getName().equals("registerService") && args[0] == ConfigurationPlugin.class) {
                        ConfigurationPlugin plugin = (ConfigurationPlugin) args[1];
                        plugins.add(plugin);
                        target = cast(args[2]).get(ConfigurationPlugin.CM_TARGET);
                        return Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] { ServiceRegistration.class },
                                (p, m, a) -> {
                                    if (m.getName().equals("unregister")) {
                                        plugins.remove(plugin);
                                        return null;
                                    }
                                    throw new UnsupportedOperationException(m.getName());
                                });
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }

    @SuppressWarnings("unchecked")
    private static Dictionary<String, Object> cast(Object dictionary) {
        return (Dictionary<String, Object>) dictionary;
    }

    private static Dictionary<String, Object> copy(Dictionary<String, Object> from) {
        Hashtable<String, Object> to = new Hashtable<>();
        for (var keys = from.keys(); keys.hasMoreElements();) {
            String key = keys.nextElement();
            to.put(key, from.get(key));
        }
        return to;
    }

    private Dictionary<String, Object> lastDelivered() {
        return delivered.get(delivered.size() - 1);
    }

    private record Settings(String socket_path) implements SimulatorComponent.Config {
        public Class<? extends Annotation> annotationType() {
            return SimulatorComponent.Config.class;
        }

        public boolean enabled() {
            return true;
        }

        public int guest_domid() {
            return XenStoreSimulator.DEFAULT_GUEST_DOMID;
        }

        public String dom0_socket_path() {
            return "";
        }

        public int node_quota() {
            return XenStoreSimulator.DEFAULT_NODE_QUOTA;
        }
    }

    @Test
    void pointsTheExchangeAtItsSocketInWhatIsDeliveredNeverInWhatIsStored() {
        Hashtable<String, Object> file = new Hashtable<>();
        file.put("transport", "auto");
        file.put("request.path", "data/host");
        file.put("felix.fileinstall.filename", "file:/etc/guest-agent/org.guestagent.exchange.xenstore.cfg");
        stored = copy(file);
        String socket = scratch.resolve("xenstored.sock").toString();

        SimulatorComponent simulator = new SimulatorComponent();
        simulator.configAdmin = configAdmin();
        simulator.activate(bundleContext(), new Settings(socket));
        try {
            assertArrayEquals(new String[] { SimulatorComponent.EXCHANGE_PID }, (String[]) target, "cm.target");
            assertEquals(1, delivered.size(), "the stored configuration is delivered again at once");
            assertEquals("socket", lastDelivered().get("transport"));
            assertEquals(socket, lastDelivered().get("socket.path"));
            assertEquals("data/host", lastDelivered().get("request.path"), "the other settings stay");
            assertEquals(file, stored, "nothing of the simulator is stored");

            stored = copy(file); // FileInstall read the file again and updated the configuration
            deliver(SimulatorComponent.EXCHANGE_PID, stored);
            assertEquals(socket, lastDelivered().get("socket.path"), "a file change keeps the simulator's socket");
            assertNull(deliver("org.guestagent.shell", file).get("socket.path"), "other configurations are left alone");
        } finally {
            simulator.deactivate();
        }
        assertTrue(plugins.isEmpty(), "the plugin is gone");
        assertEquals("auto", lastDelivered().get("transport"), "delivered again without the simulator's values");
        assertNull(lastDelivered().get("socket.path"));
        assertEquals(file, stored);
    }
}
