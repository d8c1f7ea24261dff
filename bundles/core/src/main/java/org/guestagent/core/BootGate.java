package org.guestagent.core;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.guestagent.api.CommandRegistry;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.Filter;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.FrameworkListener;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.startlevel.FrameworkStartLevel;
import org.osgi.util.tracker.ServiceTracker;

/**
 * Tells whether the agent's boot is over: the framework has reached the level named by
 * {@link CommandRegistry#BOOT_START_LEVEL_PROPERTY} (at once without it, e.g. in a test
 * container) and no service with {@link CommandRegistry#BOOT_HOLD_PROPERTY} is left. The core
 * starts before most command bundles, so until then a missing command may only not have started yet.
 */
final class BootGate implements FrameworkListener {

    private final BundleContext context;
    private final FrameworkStartLevel frameworkLevel;
    private final int bootLevel;
    private final CountDownLatch over = new CountDownLatch(1);
    private final ServiceTracker<Object, Object> holds;

    BootGate(BundleContext context) {
        this.context = context;
        this.frameworkLevel = context.getBundle(Constants.SYSTEM_BUNDLE_LOCATION).adapt(FrameworkStartLevel.class);
        this.bootLevel = parse(context.getProperty(CommandRegistry.BOOT_START_LEVEL_PROPERTY));
        this.holds = new ServiceTracker<>(context, holdFilter(context), null) {
            @Override
            public void removedService(ServiceReference<Object> reference, Object service) {
                super.removedService(reference, service);
                check();
            }
        };
        holds.open(true);
        context.addFrameworkListener(this);
        check();
    }

    private static Filter holdFilter(BundleContext context) {
        try {
            return context.createFilter("(" + CommandRegistry.BOOT_HOLD_PROPERTY + "=*)");
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e); // a constant filter
        }
    }

    private static int parse(String level) {
        try {
            return level == null ? 0 : Integer.parseInt(level.trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    @Override
    public void frameworkEvent(FrameworkEvent event) {
        if (event.getType() == FrameworkEvent.STARTLEVEL_CHANGED || event.getType() == FrameworkEvent.STARTED) {
            check();
        }
    }

    private void check() {
        boolean levelReached = bootLevel <= 0 || frameworkLevel == null || frameworkLevel.getStartLevel() >= bootLevel;
        if (levelReached && holds.isEmpty()) {
            over.countDown();
        }
    }

    boolean isOver() {
        return over.getCount() == 0;
    }

    /** Waits (bounded) for the end of the boot; true once it is over. */
    boolean await(long millis) {
        try {
            return over.await(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return isOver();
        }
    }

    void close() {
        holds.close();
        try {
            context.removeFrameworkListener(this);
        } catch (IllegalStateException e) {
            // the bundle is already stopping: its listeners go with it
        }
        over.countDown(); // nobody waits for a boot that will not be watched any more
    }
}
