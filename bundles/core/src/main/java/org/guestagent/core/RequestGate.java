package org.guestagent.core;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.guestagent.api.runtime.CommandRegistry;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.BundleListener;
import org.osgi.framework.Constants;
import org.osgi.framework.Filter;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.FrameworkListener;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.SynchronousBundleListener;
import org.osgi.framework.startlevel.BundleStartLevel;
import org.osgi.framework.startlevel.FrameworkStartLevel;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.service.condition.Condition;
import org.osgi.util.tracker.ServiceTracker;

/**
 * Tells whether a request may run now, so that no command runs before, or while, the services
 * it uses are put in place.
 * <ul>
 * <li>The boot: over once the boot condition named by {@link CommandRegistry#BOOT_CONDITION_PROPERTY}
 * is registered (the launcher's, {@link CommandRegistry#BOOT_CONDITION}; at once without the property,
 * e.g. in a test container) and no service with {@link CommandRegistry#BOOT_HOLD_PROPERTY} is left.</li>
 * <li>After the boot: such a hold service, and any bundle in transition: starting, stopping, or
 * stopped by an update or a refresh that will start it again. A transition that makes no progress
 * for {@link #TRANSITION_LIMIT_MILLIS} (a bundle that failed or hangs) no longer counts.</li>
 * </ul>
 */
final class RequestGate implements SynchronousBundleListener, FrameworkListener {
    private static final System.Logger LOG = System.getLogger(RequestGate.class.getName());
    /** Longest time a bundle counts as in transition after its last event. */
    static final long TRANSITION_LIMIT_MILLIS = 30_000;
    /** How often a waiting request looks again whether its pair is being stopped. */
    private static final long RECHECK_MILLIS = 100;

    /** A bundle on its way between two stable states. Guarded by the gate's monitor. */
    private static final class Transition {
        final String bundle;
        long lastEventNanos = System.nanoTime();
        /** Being started (a stop that follows is a failed start, not the stop of an update or refresh). */
        boolean starting;

        Transition(Bundle bundle) {
            this.bundle = bundle.getSymbolicName() + " " + bundle.getVersion();
        }
    }

    private final BundleContext context;
    private final long ownBundle;
    private final Bundle framework;
    private final FrameworkStartLevel frameworkLevel;
    /** The boot condition's tracker, or null when the boot waits for none. */
    private final ServiceTracker<Object, Object> bootCondition;
    private final ServiceTracker<Object, Object> holds;
    private final Map<Long, Transition> transitions = new HashMap<>();
    /** Per bundle, the STARTED events the asynchronous listener has not heard yet. Guarded by the monitor. */
    private final Map<Long, Integer> startsUnheard = new HashMap<>();
    /**
     * Hears of a start only after every synchronous listener is through with it, SCR among them,
     * which registers the bundle's components (and so binds them where they are used) right then.
     */
    private final BundleListener started = event -> {
        if (event.getType() == BundleEvent.STARTED) {
            startHeard(event.getBundle());
        }
    };
    /** The boot condition has been registered (or there is none to wait for). Guarded by the monitor. */
    private boolean conditionMet;
    private boolean bootOver;
    private boolean closed;

    RequestGate(BundleContext context) {
        this.context = context;
        this.ownBundle = context.getBundle().getBundleId();
        this.framework = context.getBundle(Constants.SYSTEM_BUNDLE_LOCATION);
        this.frameworkLevel = framework.adapt(FrameworkStartLevel.class);
        String condition = context.getProperty(CommandRegistry.BOOT_CONDITION_PROPERTY);
        this.bootCondition = condition == null || condition.isBlank() ? null
                : tracker(context, "(&(" + Constants.OBJECTCLASS + "=" + Condition.class.getName() + ")("
                        + Condition.CONDITION_ID + "=" + condition.trim() + "))", this::conditionMet);
        this.conditionMet = bootCondition == null;
        this.holds = tracker(context, "(" + CommandRegistry.BOOT_HOLD_PROPERTY + "=*)", null);
        if (bootCondition != null) {
            bootCondition.open(true);
        }
        holds.open(true);
        context.addFrameworkListener(this);
        context.addBundleListener(this);
        context.addBundleListener(started);
        findTransitions();
        changed();
    }

    /**
     * Tracks the services of the filter; each one that comes or goes may end the boot or open the
     * gate. {@code onAdding} runs first for one that comes (the tracker counts it only afterwards).
     */
    private ServiceTracker<Object, Object> tracker(BundleContext context, String filter, Runnable onAdding) {
        Filter parsed;
        try {
            parsed = context.createFilter(filter);
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException("bad filter " + filter, e);
        }
        return new ServiceTracker<>(context, parsed, null) {
            @Override
            public Object addingService(ServiceReference<Object> reference) {
                Object service = super.addingService(reference);
                if (onAdding != null) {
                    onAdding.run();
                }
                changed();
                return service;
            }

            @Override
            public void removedService(ServiceReference<Object> reference, Object service) {
                super.removedService(reference, service);
                changed();
            }
        };
    }

    @Override
    public void frameworkEvent(FrameworkEvent event) {
        switch (event.getType()) {
            case FrameworkEvent.ERROR -> {
                // a bundle that failed to start (e.g. after an update or a refresh) will not come by itself
                if (event.getBundle() != null) {
                    settled(event.getBundle().getBundleId());
                }
            }
            case FrameworkEvent.PACKAGES_REFRESHED -> settleAllButMoving();
            default -> changed();
        }
    }

    @Override
    public void bundleChanged(BundleEvent event) {
        Bundle bundle = event.getBundle();
        if (bundle.getBundleId() == ownBundle || bundle.getBundleId() == 0) {
            return; // our own stop ends the gate; the framework's stop is not a transition to wait for
        }
        long id = bundle.getBundleId();
        switch (event.getType()) {
            case BundleEvent.STARTING -> {
                if (!lazy(bundle)) {
                    starting(bundle, true);
                }
            }
            // settled by the asynchronous listener, once SCR has put the bundle's components in place
            case BundleEvent.STARTED -> started(bundle);
            case BundleEvent.STOPPING -> transition(bundle); // its "starting" says whether a start failed
            case BundleEvent.STOPPED -> {
                if (failedStart(id) || !willStartAgain(bundle)) {
                    settled(id);
                } else {
                    transition(bundle); // an update or a refresh starts it again
                }
            }
            case BundleEvent.UNINSTALLED, BundleEvent.LAZY_ACTIVATION -> settled(id);
            default -> { // unresolved, updated, resolved, installed
                if (willStartAgain(bundle)) {
                    transition(bundle);
                } else {
                    settled(id);
                }
            }
        }
    }

    /** The bundle's transition, begun now if there is none; either way it moved just now. */
    private synchronized Transition transition(Bundle bundle) {
        Transition transition = transitions.computeIfAbsent(bundle.getBundleId(), id -> new Transition(bundle));
        transition.lastEventNanos = System.nanoTime();
        return transition;
    }

    private synchronized void starting(Bundle bundle, boolean starting) {
        transition(bundle).starting = starting;
    }

    private synchronized void started(Bundle bundle) {
        starting(bundle, false);
        startsUnheard.merge(bundle.getBundleId(), 1, Integer::sum);
    }

    /**
     * The asynchronous STARTED: a start is through once every synchronous listener has seen it, and
     * no later start or stop of the bundle is under way.
     */
    private void startHeard(Bundle bundle) {
        boolean active = bundle.getState() == Bundle.ACTIVE;
        long id = bundle.getBundleId();
        synchronized (this) {
            Integer unheard = startsUnheard.merge(id, -1, Integer::sum);
            if (unheard != null && unheard <= 0) {
                startsUnheard.remove(id);
                Transition transition = transitions.get(id);
                if (transition != null && active && !transition.starting) {
                    transitions.remove(id);
                    notifyAll();
                }
            }
        }
    }

    private synchronized boolean failedStart(long id) {
        Transition transition = transitions.get(id);
        return transition != null && transition.starting;
    }

    /** True for a bundle that is started (persistently) but not active: an update or a refresh will start it again. */
    private boolean willStartAgain(Bundle bundle) {
        try {
            if (bundle.getState() == Bundle.UNINSTALLED || bundle.getState() == Bundle.ACTIVE) {
                return false;
            }
            BundleRevision revision = bundle.adapt(BundleRevision.class);
            if (revision != null && (revision.getTypes() & BundleRevision.TYPE_FRAGMENT) != 0) {
                return false;
            }
            BundleStartLevel level = bundle.adapt(BundleStartLevel.class);
            return level != null && level.isPersistentlyStarted()
                    && (frameworkLevel == null || level.getStartLevel() <= frameworkLevel.getStartLevel());
        } catch (IllegalStateException e) {
            return false; // uninstalled meanwhile
        }
    }

    private static boolean lazy(Bundle bundle) {
        try {
            BundleStartLevel level = bundle.adapt(BundleStartLevel.class);
            return level != null && level.isActivationPolicyUsed()
                    && bundle.getHeaders("").get(Constants.BUNDLE_ACTIVATIONPOLICY) != null;
        } catch (IllegalStateException e) {
            return false;
        }
    }

    private synchronized void settled(long bundleId) {
        if (transitions.remove(bundleId) != null) {
            notifyAll();
        }
    }

    /**
     * After a refresh the framework has started again what it could; what is not moving now has failed.
     * A bundle whose start is still being dispatched (active, but SCR may not have put its components in
     * place yet) is moving too: the event of a refresh is delivered late, e.g. Felix's own refresh of
     * a bundle's old revision right after an update, amid the start that follows it.
     */
    private void settleAllButMoving() {
        List<Long> ids;
        synchronized (this) {
            ids = new ArrayList<>(transitions.keySet());
        }
        for (long id : ids) { // asked outside our lock: the framework takes locks of its own
            Bundle bundle = context.getBundle(id);
            int state = bundle == null ? Bundle.UNINSTALLED : bundle.getState();
            if ((state & (Bundle.STARTING | Bundle.STOPPING)) == 0 && !(state == Bundle.ACTIVE && startUnheard(id))) {
                settled(id);
            }
        }
    }

    /** The bundle's start began and its STARTED has not reached every listener yet. */
    private synchronized boolean startUnheard(long id) {
        Transition transition = transitions.get(id);
        return transition != null && (transition.starting || startsUnheard.getOrDefault(id, 0) > 0);
    }

    /** Bundles already on their way when the gate opens (the core started again amid a refresh). */
    private void findTransitions() {
        for (Bundle bundle : context.getBundles()) {
            long id = bundle.getBundleId();
            if (id != ownBundle && id != 0 && ((bundle.getState() & (Bundle.STARTING | Bundle.STOPPING)) != 0
                    && !lazy(bundle) || willStartAgain(bundle))) {
                starting(bundle, bundle.getState() == Bundle.STARTING);
            }
        }
    }

    private synchronized void changed() {
        if (!bootOver) {
            bootOver = conditionMet && holds.isEmpty();
        }
        notifyAll();
    }

    private synchronized void conditionMet() {
        conditionMet = true;
    }

    /** True once the boot is over (it stays over). */
    synchronized boolean bootOver() {
        return bootOver || closed;
    }

    /** True when a request may run now: the boot is over, no hold is registered, no bundle is in transition. */
    synchronized boolean isOpen() {
        return blocker() == null;
    }

    /** What requests wait for now, for log lines; null when nothing. */
    synchronized String blocker() {
        if (closed || framework.getState() == Bundle.STOPPING) {
            return null;
        }
        if (!bootOver) {
            return "the end of the boot";
        }
        ServiceReference<Object>[] held = holds.getServiceReferences();
        if (held != null && held.length > 0) {
            return "the hold '" + held[0].getProperty(CommandRegistry.BOOT_HOLD_PROPERTY) + "'";
        }
        if (transitions.isEmpty()) {
            return null; // the usual case, without an iterator per request
        }
        long now = System.nanoTime();
        for (var it = transitions.values().iterator(); it.hasNext();) {
            Transition transition = it.next();
            if (now - transition.lastEventNanos > TimeUnit.MILLISECONDS.toNanos(TRANSITION_LIMIT_MILLIS)) {
                LOG.log(Level.WARNING, "Bundle {0} has not settled within {1} s; requests no longer wait for it",
                        transition.bundle, TimeUnit.MILLISECONDS.toSeconds(TRANSITION_LIMIT_MILLIS));
                it.remove();
            } else {
                return "bundle " + transition.bundle + " to settle";
            }
        }
        return null;
    }

    /** Waits (bounded) for the end of the boot; true once it is over. */
    synchronized boolean awaitBoot(long millis) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        try {
            while (!bootOver()) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    return false;
                }
                wait(left);
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return bootOver();
        }
    }

    /**
     * Waits until a request may run, at most the given time, and no longer once {@code giveUp}
     * says so (its pair is being stopped and must answer the request in hand).
     *
     * @return true when requests may run now
     */
    synchronized boolean awaitOpen(long millis, BooleanSupplier giveUp) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        try {
            while (!isOpen()) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0 || giveUp.getAsBoolean()) {
                    return false;
                }
                wait(Math.min(left, RECHECK_MILLIS)); // to look at giveUp again
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return isOpen();
        }
    }

    void close() {
        holds.close();
        if (bootCondition != null) {
            bootCondition.close();
        }
        try {
            context.removeBundleListener(this);
            context.removeBundleListener(started);
            context.removeFrameworkListener(this);
        } catch (IllegalStateException e) {
            // the bundle is already stopping: its listeners go with it
        }
        synchronized (this) {
            closed = true; // nobody waits for a gate that is not watched any more
            notifyAll();
        }
    }
}
