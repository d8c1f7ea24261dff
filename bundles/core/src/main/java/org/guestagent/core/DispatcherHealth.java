package org.guestagent.core;

import java.lang.System.Logger.Level;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.guestagent.api.runtime.PairingRegistry;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;

/**
 * Whether every dispatcher is alive, for a watchdog (systemd's, through the platform bundle's
 * notifier): false while a dispatcher's thread died or has been busy with one request for longer
 * than {@code dispatcher.stall.seconds}. Published as a plain {@link BooleanSupplier} with the
 * property {@value #PROPERTY}{@code =dispatchers}, so no contract of the API changes for it.
 */
@Component(service = BooleanSupplier.class, property = DispatcherHealth.PROPERTY + "=dispatchers",
        configurationPid = "org.guestagent.core", configurationPolicy = ConfigurationPolicy.OPTIONAL)
public class DispatcherHealth implements BooleanSupplier {
    static final String PROPERTY = "guestagent.health";
    private static final System.Logger LOG = System.getLogger(DispatcherHealth.class.getName());

    /** Read from the core's PID (its metatype is CommandRegistryImpl's). */
    public @interface Config {
        /**
         * A dispatcher busy with one request for longer is stuck. A request may wait at the gate
         * for the command timeout and then run for it again, so the default (300) is well above
         * twice the default command timeout (120).
         */
        int dispatcher_stall_seconds() default 300;
    }

    private final PairingRegistryImpl pairs;
    private volatile long limitNanos;
    private volatile List<String> lastStuck = List.of();

    @Activate
    public DispatcherHealth(@Reference(target = "(component.name=org.guestagent.core.PairingRegistryImpl)") PairingRegistry pairs,
            Config config) {
        this.pairs = (PairingRegistryImpl) pairs;
        modified(config);
    }

    @Modified
    void modified(Config config) {
        limitNanos = TimeUnit.SECONDS.toNanos(Math.max(1, config.dispatcher_stall_seconds()));
    }

    @Override
    public boolean getAsBoolean() {
        List<String> stuck = pairs.stuckDispatchers(limitNanos);
        if (!stuck.equals(lastStuck)) {
            lastStuck = stuck;
            if (stuck.isEmpty()) {
                LOG.log(Level.INFO, "Every dispatcher is alive again");
            } else {
                LOG.log(Level.WARNING, "Dispatcher stuck for more than {0} s: {1}",
                        TimeUnit.NANOSECONDS.toSeconds(limitNanos), String.join(", ", stuck));
            }
        }
        return stuck.isEmpty();
    }
}
