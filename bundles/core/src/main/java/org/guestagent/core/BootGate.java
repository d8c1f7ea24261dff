package org.guestagent.core;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.FrameworkListener;
import org.osgi.framework.startlevel.FrameworkStartLevel;

/**
 * Tells whether the agent's boot is over. The core starts before most command bundles, so that
 * the first requests are answered early; until the framework reaches the start level the launcher
 * names in {@value #BOOT_LEVEL_PROPERTY}, a command that is missing may only not have started yet.
 * Without that property (e.g. in a test container) the boot counts as over at once.
 */
final class BootGate implements FrameworkListener {
    static final String BOOT_LEVEL_PROPERTY = "guestagent.boot.startlevel";

    private final BundleContext context;
    private final FrameworkStartLevel frameworkLevel;
    private final int bootLevel;
    private final CountDownLatch over = new CountDownLatch(1);

    BootGate(BundleContext context) {
        this.context = context;
        this.frameworkLevel = context.getBundle(Constants.SYSTEM_BUNDLE_LOCATION).adapt(FrameworkStartLevel.class);
        this.bootLevel = parse(context.getProperty(BOOT_LEVEL_PROPERTY));
        context.addFrameworkListener(this);
        check();
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
        if (bootLevel <= 0 || frameworkLevel == null || frameworkLevel.getStartLevel() >= bootLevel) {
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
        try {
            context.removeFrameworkListener(this);
        } catch (IllegalStateException e) {
            // the bundle is already stopping: its listeners go with it
        }
        over.countDown(); // nobody waits for a boot that will not be watched any more
    }
}
