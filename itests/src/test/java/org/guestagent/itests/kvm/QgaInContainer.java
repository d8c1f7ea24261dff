package org.guestagent.itests.kvm;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Hashtable;

import org.guestagent.api.runtime.PairingRegistry;
import org.guestagent.api.system.SystemActions;
import org.guestagent.itests.support.AgentBundles;
import org.guestagent.itests.support.Await;
import org.ops4j.pax.exam.CoreOptions;
import org.ops4j.pax.exam.Option;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.ConfigurationAdmin;

/** The QGA pair inside a Pax Exam container: its bundles, and its exchange listening on a unix socket. */
final class QgaInContainer {
    static final String EXCHANGE_PID = "org.guestagent.exchange.virtioserial";
    private static final String ACTIONS_PID = "org.guestagent.system.actions";
    private static final Duration LIMIT = Duration.ofSeconds(60);

    private QgaInContainer() {
    }

    /** The exchange, parser and command bundles of the QGA pair. */
    static Option bundles() {
        return CoreOptions.composite(AgentBundles.ours("bundles/exchange-virtio-serial"),
                AgentBundles.ours("bundles/parser-qga"),
                AgentBundles.ours("bundles/commands-qga"));
    }

    /** Points the exchange at {@code socket} in unix-listen mode and waits until the pair serves there. */
    static void listen(ConfigurationAdmin configAdmin, PairingRegistry pairs, Path socket) throws Exception {
        Hashtable<String, Object> props = new Hashtable<>();
        props.put("mode", "unix-listen");
        props.put("path", socket.toString());
        configAdmin.getConfiguration(EXCHANGE_PID, "?").update(props);
        awaitServing(pairs, socket);
    }

    /** Waits until the QGA pair serves on {@code socket}. */
    static void awaitServing(PairingRegistry pairs, Path socket) throws InterruptedException {
        String exchange = "unix-listen:" + socket;
        Await.until("the QGA pair serves " + exchange, LIMIT,
                () -> pairs.pairs().stream().anyMatch(p -> p.exchange().equals(exchange)));
    }

    /** Makes the system actions act for real (guest-exec, fsfreeze) and waits until they do. */
    static void realSystemActions(ConfigurationAdmin configAdmin) throws Exception {
        Hashtable<String, Object> real = new Hashtable<>();
        real.put("mode", "real");
        configAdmin.getConfiguration(ACTIONS_PID, "?").update(real);
        Await.until("the system actions are real", LIMIT, () -> {
            BundleContext context = FrameworkUtil.getBundle(QgaInContainer.class).getBundleContext();
            ServiceReference<SystemActions> ref = context.getServiceReference(SystemActions.class);
            return ref != null && !context.getService(ref).isRecording();
        });
    }
}
