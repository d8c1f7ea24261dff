package org.guestagent.xenstore.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.lang.annotation.Annotation;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.Dictionary;
import java.util.Hashtable;

import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.cm.ConfigurationEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The simulator supplies its socket through the XenStore exchange's configuration, and takes it back. */
class SimulatorComponentTest {

    @TempDir
    Path scratch;

    /** The exchange's configuration as ConfigAdmin keeps it: properties, replaced by update(). */
    private Dictionary<String, Object> stored;
    private int updates;

    private ConfigurationAdmin configAdmin() {
        Configuration exchange = (Configuration) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] { Configuration.class }, (proxy, method, args) -> switch (method.getName()) {
                    case "getProperties" -> stored == null ? null : copy(stored);
                    case "update" -> {
                        stored = copy(cast(args[0]));
                        updates++;
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

    @SuppressWarnings("unchecked")
    private static ConfigurationEvent updated(String pid) {
        ServiceReference<ConfigurationAdmin> reference = (ServiceReference<ConfigurationAdmin>) Proxy.newProxyInstance(
                SimulatorComponentTest.class.getClassLoader(), new Class<?>[] { ServiceReference.class }, (proxy, method, args) -> {
                    throw new UnsupportedOperationException(method.getName());
                });
        return new ConfigurationEvent(reference, ConfigurationEvent.CM_UPDATED, null, pid);
    }

    @Test
    void pointsTheExchangeAtItsSocketKeepsItThereAndGivesTheFileValuesBack() {
        Hashtable<String, Object> file = new Hashtable<>();
        file.put("transport", "auto");
        file.put("request.path", "data/host");
        file.put("felix.fileinstall.filename", "file:/etc/guest-agent/org.guestagent.exchange.xenstore.cfg");
        stored = copy(file);
        String socket = scratch.resolve("xenstored.sock").toString();

        SimulatorComponent simulator = new SimulatorComponent();
        simulator.configAdmin = configAdmin();
        simulator.activate(new Settings(socket));
        try {
            assertEquals("socket", stored.get("transport"));
            assertEquals(socket, stored.get("socket.path"));
            assertEquals("data/host", stored.get("request.path"), "the other settings stay");
            assertEquals(1, updates);

            simulator.configurationEvent(updated(SimulatorComponent.EXCHANGE_PID)); // its own update: nothing to do
            simulator.configurationEvent(updated("org.guestagent.shell"));
            assertEquals(1, updates);

            stored = copy(file); // FileInstall read the file again
            simulator.configurationEvent(updated(SimulatorComponent.EXCHANGE_PID));
            assertEquals(socket, stored.get("socket.path"));
            assertEquals(2, updates);
        } finally {
            simulator.deactivate();
        }
        assertEquals("auto", stored.get("transport"));
        assertNull(stored.get("socket.path"));
        assertEquals(file.get("felix.fileinstall.filename"), stored.get("felix.fileinstall.filename"));
    }
}
