package org.guestagent.platform;

import java.lang.System.Logger.Level;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

import org.guestagent.api.runtime.PairingRegistry;
import org.guestagent.api.runtime.PairingRegistry.PairInfo;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.startlevel.FrameworkStartLevel;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * Tells systemd (a {@code Type=notify} unit: {@code NOTIFY_SOCKET} is set) how the agent is:
 * {@code READY=1} once the boot is over and a pair serves, {@code STATUS=} lines with what it
 * serves, {@code WATCHDOG=1} every half of {@code WATCHDOG_USEC} while every dispatcher is alive
 * (the core's dispatcher health; a stuck one withholds the pings, so systemd restarts the agent),
 * and {@code STOPPING=1} as soon as the JVM begins to stop. Without {@code NOTIFY_SOCKET} it does
 * nothing.
 */
@Component(immediate = true)
public class SystemdNotifier {
    private static final System.Logger LOG = System.getLogger(SystemdNotifier.class.getName());
    /** The core's framework property: the start level at which the boot is over. */
    static final String BOOT_LEVEL_PROPERTY = "guestagent.boot.startlevel";
    /**
     * Once ready, how often the STATUS line is brought up to date (its answered counts): an idle
     * agent is woken no more than this and the watchdog pings demand. A stuck dispatcher is told at once.
     */
    private static final long STATUS_PERIOD_MILLIS = 60_000;
    /** Until ready, the first look again after this; then less and less often, up to the longest. */
    private static final long STARTING_PERIOD_MILLIS = 100;
    private static final long STARTING_PERIOD_LONGEST_MILLIS = 5_000;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile PairingRegistry pairs;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            target = "(guestagent.health=dispatchers)")
    private volatile BooleanSupplier dispatcherHealth;

    private final AtomicBoolean stoppingSent = new AtomicBoolean();
    private NotifySocket socket;
    private Thread loop;
    private Thread stopHook;
    private volatile boolean active;

    @Activate
    void activate(BundleContext context) {
        activate(context, System.getenv());
    }

    void activate(BundleContext context, Map<String, String> environment) {
        String name = environment.get("NOTIFY_SOCKET");
        if (name == null || name.isEmpty()) {
            return;
        }
        try {
            socket = NotifySocket.open(name);
        } catch (RuntimeException | LinkageError e) {
            LOG.log(Level.WARNING, "Cannot open systemd's notification socket " + name + ": " + e.getMessage());
            return;
        }
        long watchdogMicros = watchdogMicros(environment, ProcessHandle.current().pid());
        int bootLevel = bootLevel(context);
        active = true;
        stopHook = new Thread(this::sendStopping, "systemd-notify-stopping");
        Runtime.getRuntime().addShutdownHook(stopHook);
        loop = new Thread(() -> run(context, bootLevel, watchdogMicros), "systemd-notifier");
        loop.setDaemon(true);
        loop.start();
        LOG.log(Level.INFO, "Notifying systemd on {0}{1}", name,
                watchdogMicros > 0 ? ", watchdog every " + watchdogMicros / 2000 + " ms" : "");
    }

    /** WATCHDOG_USEC, when set for this process (WATCHDOG_PID absent or ours); 0 otherwise. */
    static long watchdogMicros(Map<String, String> environment, long ownPid) {
        String pid = environment.get("WATCHDOG_PID");
        if (pid != null && !pid.isBlank() && !pid.trim().equals(Long.toString(ownPid))) {
            return 0;
        }
        try {
            long micros = Long.parseLong(environment.getOrDefault("WATCHDOG_USEC", "0").trim());
            return Math.max(0, micros);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static int bootLevel(BundleContext context) {
        String value = context.getProperty(BOOT_LEVEL_PROPERTY);
        if (value == null) {
            value = context.getProperty(Constants.FRAMEWORK_BEGINNING_STARTLEVEL);
        }
        try {
            return value == null ? 1 : Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            return 1;
        }
    }

    private void run(BundleContext context, int bootLevel, long watchdogMicros) {
        long watchdogNanos = TimeUnit.MICROSECONDS.toNanos(watchdogMicros) / 2;
        long nextPing = System.nanoTime();
        long nextStatus = 0;
        boolean ready = false;
        boolean withheld = false;
        String lastStatus = null;
        long startingPeriod = STARTING_PERIOD_MILLIS;
        while (active) {
            long now = System.nanoTime();
            PairingRegistry registry = pairs;
            List<PairInfo> serving = registry == null ? List.of() : registry.pairs();
            if (!ready && bootOver(context, bootLevel) && !serving.isEmpty()) {
                ready = true;
                lastStatus = status(serving);
                send("READY=1\nSTATUS=" + lastStatus);
                LOG.log(Level.INFO, "Told systemd the agent is ready: {0}", lastStatus);
            }
            if (ready && watchdogNanos > 0 && now - nextPing >= 0) {
                nextPing = now + watchdogNanos;
                BooleanSupplier health = dispatcherHealth;
                boolean alive = health != null && health.getAsBoolean();
                if (alive) {
                    send("WATCHDOG=1");
                } else if (!withheld) {
                    LOG.log(Level.WARNING, health == null
                            ? "Watchdog pings withheld: the core's dispatcher health is gone"
                            : "Watchdog pings withheld: a dispatcher is stuck (agent:pairs); systemd will restart the agent");
                }
                if (alive == withheld) {
                    withheld = !alive;
                    nextStatus = now; // say so at once
                }
            }
            if (ready && now - nextStatus >= 0) {
                nextStatus = now + TimeUnit.MILLISECONDS.toNanos(STATUS_PERIOD_MILLIS);
                String text = withheld ? "A dispatcher is stuck; watchdog pings withheld" : status(serving);
                if (!text.equals(lastStatus)) {
                    lastStatus = text;
                    send("STATUS=" + text);
                }
            }
            long sleepMillis = ready ? STATUS_PERIOD_MILLIS : startingPeriod;
            if (!ready && bootOver(context, bootLevel)) {
                startingPeriod = Math.min(startingPeriod * 2, STARTING_PERIOD_LONGEST_MILLIS); // waits for a pair
            }
            if (ready && watchdogNanos > 0) {
                sleepMillis = Math.min(sleepMillis, Math.max(1, TimeUnit.NANOSECONDS.toMillis(nextPing - System.nanoTime())));
            }
            try {
                Thread.sleep(sleepMillis);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private static boolean bootOver(BundleContext context, int bootLevel) {
        try {
            FrameworkStartLevel level = context.getBundle(Constants.SYSTEM_BUNDLE_LOCATION).adapt(FrameworkStartLevel.class);
            return level != null && level.getStartLevel() >= bootLevel;
        } catch (IllegalStateException | NullPointerException e) {
            return false; // the framework is stopping
        }
    }

    /** What the agent serves, for systemctl status: each pair with the requests it answered. */
    static String status(List<PairInfo> serving) {
        if (serving.isEmpty()) {
            return "No pair serves: no exchange with a parser of its protocol";
        }
        return "Serving " + serving.stream()
                .map(p -> p.protocol() + " on " + p.exchange() + " (" + p.served() + " answered)")
                .collect(Collectors.joining(", "));
    }

    private void sendStopping() {
        if (stoppingSent.compareAndSet(false, true)) {
            send("STOPPING=1\nSTATUS=Stopping");
        }
    }

    private void send(String message) {
        NotifySocket s = socket;
        if (s != null && !s.send(message)) {
            LOG.log(Level.DEBUG, "A notification to systemd was not sent: {0}", message.replace('\n', ' '));
        }
    }

    @Deactivate
    void deactivate() {
        if (!active) {
            return;
        }
        active = false;
        try {
            Runtime.getRuntime().removeShutdownHook(stopHook);
        } catch (IllegalStateException shuttingDown) {
            sendStopping(); // the JVM is stopping: make sure systemd hears it before the socket closes
        }
        loop.interrupt();
        try {
            loop.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        socket.close();
    }
}
