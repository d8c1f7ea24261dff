package org.guestagent.commands.update;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.guestagent.api.command.CommandException;
import org.guestagent.api.runtime.CommandRegistry;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;
import org.osgi.framework.Version;
import org.osgi.framework.wiring.FrameworkWiring;

/**
 * Replaces a set of bundles in the running framework as one unit: installs or updates each, refreshes
 * them, starts them; when any step fails, every bundle is put back to the version it had before.
 * Works through the system bundle's context, so it keeps working while this bundle itself is replaced.
 */
final class BundleUpdater {

    private static final System.Logger LOG = System.getLogger(BundleUpdater.class.getName());

    /** Location given to bundles that an update brings and the framework did not have. */
    static final String LOCATION_PREFIX = "guestagent-update:";

    /** Put the jar in place of the bundle of that symbolic name; a null jar removes the bundle. */
    record Step(String symbolicName, Path jar) {
    }

    /** What happened to one bundle; a null version means "not installed". */
    record Change(String symbolicName, Version before, Version after) {
        @Override
        public String toString() {
            return symbolicName + " " + (before == null ? "(new)" : before) + " -> " + (after == null ? "(removed)" : after);
        }
    }

    /** The state needed to undo one step. */
    private record Undo(Bundle bundle, String location, Path previousJar, boolean wasActive, boolean isNew) {
    }

    private final BundleContext system;
    private final Duration timeout;

    BundleUpdater(BundleContext systemContext, Duration timeout) {
        this.system = systemContext;
        this.timeout = timeout;
    }

    /** The installed bundle of that name (the highest version when there are several), or null. */
    Bundle find(String symbolicName) {
        Bundle found = null;
        for (Bundle b : system.getBundles()) {
            if (symbolicName.equals(b.getSymbolicName()) && b.getState() != Bundle.UNINSTALLED
                    && (found == null || b.getVersion().compareTo(found.getVersion()) > 0)) {
                found = b;
            }
        }
        return found;
    }

    /**
     * Applies the steps; copies of replaced bundles are kept in saveFolder as
     * {@code <name>-<version>.jar}. On failure everything is undone and a CommandException names the bundle.
     */
    List<Change> apply(List<Step> steps, Path saveFolder) {
        ServiceRegistration<?> hold = hold(steps);
        try {
            return applyHeld(steps, saveFolder);
        } finally {
            try {
                hold.unregister();
            } catch (IllegalStateException e) {
                // already gone: the framework is stopping
            }
        }
    }

    /**
     * A hold for the core: between the update of one bundle and the refresh that rewires the others,
     * the agent is half-wired (a backend still bound to the package of a replaced bundle), so requests
     * wait until the update is through. Registered through the system bundle, so it outlives the
     * replacement of this bundle itself.
     */
    private ServiceRegistration<?> hold(List<Step> steps) {
        Dictionary<String, Object> properties = new Hashtable<>();
        properties.put(CommandRegistry.BOOT_HOLD_PROPERTY,
                "agentupdate: replacing " + steps.stream().map(Step::symbolicName).toList());
        return system.registerService(Object.class, new Object(), properties);
    }

    private List<Change> applyHeld(List<Step> steps, Path saveFolder) {
        List<Undo> undos = new ArrayList<>();
        List<Change> changes = new ArrayList<>();
        String current = null;
        try {
            for (Step step : steps) {
                current = step.symbolicName();
                Bundle existing = find(step.symbolicName());
                if (existing != null && existing.getBundleId() == 0) {
                    throw new CommandException("An update cannot replace the framework itself (" + current + ")");
                }
                if (existing == null && step.jar() == null) {
                    throw new CommandException("Bundle " + current + " is not installed");
                }
                Path previous = null;
                if (existing != null) {
                    previous = saveFolder.resolve(BundleJars.of(existing).fileName());
                    BundleJars.saveCopy(existing, previous);
                }
                Version after = step.jar() == null ? null : BundleJars.read(step.jar()).version();
                current = step.symbolicName() + (after == null ? "" : " " + after);
                changes.add(new Change(step.symbolicName(), existing == null ? null : existing.getVersion(), after));
                if (existing == null) {
                    try (InputStream in = Files.newInputStream(step.jar())) {
                        Bundle added = system.installBundle(LOCATION_PREFIX + current, in);
                        undos.add(new Undo(added, null, null, false, true));
                    }
                } else {
                    boolean active = existing.getState() == Bundle.ACTIVE || existing.getState() == Bundle.STARTING;
                    undos.add(new Undo(existing, existing.getLocation(), previous, active, false));
                    if (step.jar() == null) {
                        existing.uninstall();
                    } else {
                        try (InputStream in = Files.newInputStream(step.jar())) {
                            existing.update(in);
                        }
                    }
                }
            }
            refresh(bundlesOf(undos));
            for (Undo undo : undos) {
                Bundle b = undo.bundle();
                current = b.getSymbolicName() + " " + b.getVersion();
                if (b.getState() != Bundle.UNINSTALLED && b.getHeaders("").get(Constants.FRAGMENT_HOST) == null) {
                    b.start();
                }
            }
            return changes;
        } catch (BundleException | IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "Update of " + current + " failed, rolling back: " + e.getMessage());
            rollBack(undos);
            throw new CommandException("Update failed: bundle " + current + " could not be installed or started ("
                    + reason(e) + "); every bundle of the update was put back to its previous version");
        }
    }

    private void rollBack(List<Undo> undos) {
        List<Undo> reversed = new ArrayList<>(undos);
        java.util.Collections.reverse(reversed);
        List<Bundle> touched = new ArrayList<>();
        for (Undo undo : reversed) {
            try {
                if (undo.isNew()) {
                    undo.bundle().uninstall();
                    touched.add(undo.bundle());
                } else if (undo.bundle().getState() == Bundle.UNINSTALLED) {
                    try (InputStream in = Files.newInputStream(undo.previousJar())) {
                        touched.add(system.installBundle(undo.location(), in));
                    }
                } else {
                    try (InputStream in = Files.newInputStream(undo.previousJar())) {
                        undo.bundle().update(in);
                    }
                    touched.add(undo.bundle());
                }
            } catch (BundleException | IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "Could not put back " + undo.bundle().getSymbolicName() + ": " + e.getMessage());
            }
        }
        try {
            refresh(touched);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "Refresh after rollback failed: " + e.getMessage());
        }
        for (Undo undo : undos) {
            if (undo.wasActive()) {
                Bundle b = undo.bundle().getState() == Bundle.UNINSTALLED ? find(undo.bundle().getSymbolicName()) : undo.bundle();
                try {
                    if (b != null) {
                        b.start();
                    }
                } catch (BundleException | RuntimeException e) {
                    LOG.log(System.Logger.Level.ERROR, "Could not restart " + b.getSymbolicName() + " after rollback: " + e.getMessage());
                }
            }
        }
    }

    private static List<Bundle> bundlesOf(List<Undo> undos) {
        List<Bundle> bundles = new ArrayList<>();
        undos.forEach(u -> bundles.add(u.bundle()));
        return bundles;
    }

    /** Refreshes the bundles (and their dependents) and waits for the framework to finish. */
    void refresh(Collection<Bundle> bundles) {
        if (bundles.isEmpty()) {
            return;
        }
        CountDownLatch done = new CountDownLatch(1);
        system.getBundle().adapt(FrameworkWiring.class).refreshBundles(bundles, event -> done.countDown());
        try {
            if (!done.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new CommandException("The framework did not finish refreshing bundles within " + timeout.toSeconds() + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CommandException("Interrupted while the framework refreshed bundles");
        }
    }

    /** Every bundle that depends, directly or not, on the installed bundles named. */
    Collection<Bundle> dependents(Collection<Bundle> bundles) {
        return system.getBundle().adapt(FrameworkWiring.class).getDependencyClosure(bundles);
    }

    private static String reason(Exception e) {
        String message = e.getMessage();
        if (message == null || message.isBlank()) {
            return "no detail given";
        }
        int cut = message.indexOf(" Unresolved requirements:");
        return (cut > 0 ? message.substring(0, cut) : message).trim();
    }

}
