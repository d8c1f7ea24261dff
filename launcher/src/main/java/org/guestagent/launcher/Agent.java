package org.guestagent.launcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;

import org.apache.felix.framework.Felix;
import org.guestagent.api.runtime.CommandRegistry;
import org.guestagent.common.jars.SignedJars;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.BundleException;
import org.osgi.framework.BundleListener;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.startlevel.BundleStartLevel;
import org.osgi.framework.startlevel.FrameworkStartLevel;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.service.condition.Condition;

/**
 * The embedded Felix: applies the configured features to the kept bundle cache ({@link BundleCache}),
 * then starts the framework, which brings the bundles up level by level (ConfigAdmin first,
 * FileInstall last) before {@link #start()} returns.
 */
final class Agent {
    private static final Logger LOG = Logger.getLogger(Agent.class.getName());
    static final int DEFAULT_BUNDLE_LEVEL = 80;
    static final int FRAMEWORK_LEVEL = 100;
    /** ConfigAdmin and FileInstall run at or below this level; components start above it. */
    static final int CONFIGURATION_LEVEL = 6;
    private static final long CONFIGURATION_WAIT_MS = 3_000;
    /** Longest wait for FileInstall to start the bundles found in deploy/ at the start. */
    private static final long DEPLOY_WAIT_MS = 5_000;
    /** The service of the bundles stopped first: no request comes in any more, those in hand are answered. */
    static final String EXCHANGE_SERVICE = "org.guestagent.api.transport.Exchange";
    static final String FILEINSTALL = "org.apache.felix.fileinstall";
    /** Registered when the bundle cache was made anew; commands-update names it too (RecordedUpdates). */
    static final String FRESH_CACHE_CONDITION = "org.guestagent.launcher.fresh-bundle-cache";

    /** Gogo's shell options; without --nointeractive its console reads the terminal. */
    static final String GOSH_ARGS = "gosh.args";

    private final Settings settings;
    private final boolean console;
    private Felix felix;
    private DropInWatcher dropIns;

    Agent(Settings settings) {
        this(settings, false);
    }

    /** {@code console}: open Gogo's console on the terminal (--foreground --console). */
    Agent(Settings settings, boolean console) {
        this.settings = settings;
        this.console = console;
    }

    /** The bundle jars of the configured features, checked to exist, in install order. */
    static List<Install> plan(Settings settings, List<String> featureNames) throws ConfigException {
        FeaturesFile features = FeaturesFile.read(settings.featuresFile);
        Path bundles = settings.home.resolve("bundles");
        List<Install> plan = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (FeaturesFile.BundleRef ref : features.bundlesOf(featureNames)) {
            Path jar = bundles.resolve(MavenUrl.fileName(ref.url()));
            if (!Files.isRegularFile(jar)) {
                missing.add(jar.getFileName().toString());
            }
            plan.add(new Install(ref.url(), jar, ref.startLevel() > 0 ? ref.startLevel() : DEFAULT_BUNDLE_LEVEL, ref.start()));
        }
        if (!missing.isEmpty()) {
            throw new ConfigException("bundles missing from " + bundles + ": " + String.join(", ", missing));
        }
        return plan;
    }

    /**
     * Refuses to start when a folder of the distribution, or a file the launcher reads or loads
     * at the start, could be changed by another user than the agent's own ({@link TrustedFiles}).
     */
    static void checkDistribution(Settings settings) throws ConfigException {
        List<Path> own = new ArrayList<>(List.of(settings.configDir.resolve("framework.properties"),
                settings.configDir.resolve(Settings.LAUNCHER_PID + ".cfg"), settings.configDir.resolve("org.guestagent.shell.cfg")));
        if (settings.trustStore != null) {
            own.add(settings.trustStore);
        }
        List<String> problems;
        try {
            problems = TrustedFiles.ofThisProcess().distributionProblems(settings.home, settings.configDir,
                    settings.deployDir, settings.featuresFile, own);
        } catch (IOException e) {
            throw new ConfigException("cannot check the distribution's files: " + e.getMessage(), e);
        }
        if (!problems.isEmpty()) {
            throw new ConfigException("refusing to start: what the agent loads runs as root, so it must be owned by root"
                    + " (the agent's user) and not writable by group or others: " + String.join("; ", problems));
        }
    }

    /**
     * One bundle to install: where it comes from, its jar, its start level, and whether the
     * launcher starts it (the shell's bundles are started on demand by the shell listener).
     */
    record Install(String url, Path jar, int startLevel, boolean start) {
    }

    /** Boots the framework; returns once every start level has been reached. */
    void start(List<Install> plan) throws BundleException, IOException, ConfigException {
        settings.ownFiles.folder(settings.stateDir).close();
        BundleCache cache = BundleCache.open(settings.ownFiles, settings.felixCache());
        Map<String, Object> config = new HashMap<>(settings.frameworkProperties());
        // Boot in two steps: first ConfigAdmin and FileInstall, then (once config/ is loaded) the rest.
        int finalLevel = Integer.parseInt(String.valueOf(
                config.getOrDefault(Constants.FRAMEWORK_BEGINNING_STARTLEVEL, Integer.toString(FRAMEWORK_LEVEL))));
        config.put(Constants.FRAMEWORK_BEGINNING_STARTLEVEL, Integer.toString(Math.min(CONFIGURATION_LEVEL, finalLevel)));
        // the core waits for this condition (constants of the API, compiled in: the API is not on our class path)
        config.put(CommandRegistry.BOOT_CONDITION_PROPERTY, CommandRegistry.BOOT_CONDITION);
        config.putIfAbsent("felix.startlevel.bundle", Integer.toString(DEFAULT_BUNDLE_LEVEL));
        if (console) {
            config.put(GOSH_ARGS, String.valueOf(config.getOrDefault(GOSH_ARGS, "")).replace("--nointeractive", "").strip());
        }
        config.put("felix.log.logger", new FelixLogBridge());
        config.put("felix.log.level", Integer.toString(LogSetup.felixLevel(settings.logLevel)));
        StartPhases.mark("starting");
        felix = new Felix(config);
        felix.init();
        StartPhases.mark("framework init");
        String lost = cache.lostBundles(felix.getBundleContext());
        if (lost != null) {
            felix.stop(); // only initialised: releases the cache
            awaitStopped();
            cache.rebuild(lost);
            felix = new Felix(config);
            felix.init();
        }
        BundleContext context = felix.getBundleContext();
        context.addFrameworkListener(event -> {
            if (event.getType() == FrameworkEvent.ERROR) {
                LOG.log(Level.SEVERE, "bundle " + name(event.getBundle()) + ": " + message(event.getThrowable()), event.getThrowable());
            }
        });
        DropInGate gate = new DropInGate(context, TrustedFiles.ofThisProcess(), signedJars(), settings.configDir, settings.deployDir);
        // --console needs Gogo at once; otherwise the shell listener starts it when used
        List<Install> starting = plan.stream().map(i -> console && !i.start() ? new Install(i.url(), i.jar(), i.startLevel(), true) : i).toList();
        BundleCache.Changes changes = cache.apply(context, starting);
        StartPhases.mark("cache apply");
        LOG.info("bundle cache " + cache.dir() + (cache.isFresh() ? " made anew: " : " kept: ") + changes.installed() + " installed, "
                + changes.updated() + " updated, " + changes.uninstalled() + " uninstalled, " + changes.kept() + " kept of the features");
        if (cache.isFresh()) {
            registerFreshCacheCondition(context);
        }
        List<Bundle> installed = new ArrayList<>();
        for (Install item : plan) {
            Bundle bundle = context.getBundle(item.url());
            installed.add(bundle);
            if (FILEINSTALL.equals(bundle.getSymbolicName())) {
                try {
                    gate.register(bundle); // before FileInstall's first look at deploy/ and config/
                } catch (ClassNotFoundException e) {
                    throw new BundleException("FileInstall lacks its hook interfaces: " + e.getMessage(), e);
                }
            }
        }
        refuseUntrustedDropIns(context, gate);
        dropIns = DropInWatcher.start(List.of(settings.deployDir, settings.configDir));
        try (DeployedAtBoot deployed = DeployedAtBoot.watch(context, settings.deployDir, gate)) {
            StartPhases.mark("gate");
            felix.start();
            StartPhases.mark("configuration services");
            awaitConfigurations(context, gate);
            StartPhases.mark("configurations");
            raiseStartLevel(finalLevel);
            StartPhases.mark("bundles");
            scanDropIns(); // FileInstall starts what it installed below the bundles' level only at a scan
            deployed.awaitStarted();
        }
        registerBootCondition(context);
        StartPhases.mark("deploy");
        reportNotStarted(installed, plan);
    }

    private void scanDropIns() {
        try {
            dropIns.scanAll();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void awaitStopped() throws BundleException {
        try {
            felix.waitForStop(0);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BundleException("interrupted while releasing the bundle cache", e);
        }
    }

    /**
     * The condition that tells agentupdate the cache was made anew (first start, or a cache found
     * unusable), so it puts its recorded updates back; a kept cache holds them already.
     */
    private static void registerFreshCacheCondition(BundleContext context) {
        context.registerService(Condition.class, Condition.INSTANCE,
                new Hashtable<>(Map.of(Condition.CONDITION_ID, FRESH_CACHE_CONDITION)));
    }

    /**
     * A bundle of deploy/ kept in the cache is taken out when its jar may no longer be trusted (its
     * owner or mode changed while the agent was stopped): FileInstall sees no change in such a file,
     * so without this the trust check would not run on it at the start.
     */
    private void refuseUntrustedDropIns(BundleContext context, DropInGate gate) {
        Path deploy = settings.deployDir.toAbsolutePath().normalize();
        for (Bundle b : context.getBundles()) {
            Path jar = fileOf(b.getLocation());
            if (jar == null || !deploy.equals(jar.getParent()) || !Files.exists(jar)) {
                continue;
            }
            String refusal = gate.refusal(jar.toFile());
            if (refusal != null) {
                LOG.severe("refused " + jar + ": " + refusal + "; its bundle is removed (fix the file, then touch it to retry)");
                try {
                    b.uninstall();
                } catch (BundleException e) {
                    LOG.log(Level.WARNING, "cannot uninstall " + name(b) + ": " + e.getMessage(), e);
                }
            }
        }
    }

    private static Path fileOf(String location) {
        if (!location.startsWith("file:")) {
            return null;
        }
        try {
            return Path.of(java.net.URI.create(location)).toAbsolutePath().normalize();
        } catch (IllegalArgumentException | java.nio.file.FileSystemNotFoundException e) {
            return null;
        }
    }

    /**
     * Waits (bounded) until FileInstall has put every file of config/ into ConfigAdmin, so that
     * components activate once, with their configuration, instead of restarting when it arrives.
     */
    private void awaitConfigurations(BundleContext context, DropInGate gate) throws IOException {
        long expected;
        try (var files = Files.list(settings.configDir)) {
            // a refused file is never loaded: no reason to wait for it
            expected = files.filter(f -> f.getFileName().toString().endsWith(".cfg") && gate.refusal(f.toFile()) == null).count();
        }
        long deadline = System.currentTimeMillis() + CONFIGURATION_WAIT_MS;
        long loaded = 0;
        while (System.currentTimeMillis() < deadline) {
            loaded = loadedConfigurations(context);
            if (loaded >= expected) {
                return;
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        LOG.warning("only " + loaded + " of " + expected + " configurations of " + settings.configDir
                + " were loaded after " + CONFIGURATION_WAIT_MS + " ms; going on");
    }

    /** Configurations FileInstall created, asked through ConfigAdmin (by reflection: the launcher has no cm API). */
    private static long loadedConfigurations(BundleContext context) {
        var ref = context.getServiceReference("org.osgi.service.cm.ConfigurationAdmin");
        if (ref == null) {
            return 0;
        }
        Object admin = context.getService(ref);
        try {
            Object[] found = (Object[]) admin.getClass().getMethod("listConfigurations", String.class)
                    .invoke(admin, "(felix.fileinstall.filename=*)");
            return found == null ? 0 : found.length;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return 0;
        } finally {
            context.ungetService(ref);
        }
    }

    /**
     * Registers the boot condition: every start level is reached and the bundles of deploy/ have
     * started, so the core may run every command.
     */
    private static void registerBootCondition(BundleContext context) {
        context.registerService(Condition.class, Condition.INSTANCE,
                new Hashtable<>(Map.of(Condition.CONDITION_ID, CommandRegistry.BOOT_CONDITION)));
        LOG.fine("boot condition " + CommandRegistry.BOOT_CONDITION + " registered");
    }

    /**
     * The bundles waiting in deploy/ at the start. FileInstall installs them in its own thread,
     * maybe only after the last start level: the boot condition comes only once they are up, so
     * the core does not answer 404 for their commands (the pipeline answers all others meanwhile).
     * An asynchronous listener hears of a start only after the synchronous ones (SCR, and through
     * it the core's registry) are through with it.
     */
    private static final class DeployedAtBoot implements AutoCloseable, BundleListener {
        private final BundleContext context;
        private final Path folder;
        private final List<Path> jars;
        private final Set<Long> started = ConcurrentHashMap.newKeySet();

        private DeployedAtBoot(BundleContext context, Path folder, List<Path> jars) {
            this.context = context;
            this.folder = folder;
            this.jars = jars;
        }

        static DeployedAtBoot watch(BundleContext context, Path folder, DropInGate gate) throws IOException {
            List<Path> jars = List.of();
            if (Files.isDirectory(folder)) {
                try (var files = Files.list(folder)) {
                    jars = files.filter(f -> f.getFileName().toString().endsWith(".jar") && Files.isRegularFile(f)
                                    && gate.refusal(f.toFile()) == null)
                            .map(f -> f.toAbsolutePath().normalize()).toList();
                }
            }
            DeployedAtBoot deployed = new DeployedAtBoot(context, folder, jars);
            if (!jars.isEmpty()) {
                context.addBundleListener(deployed);
            }
            return deployed;
        }

        @Override
        public void bundleChanged(BundleEvent event) {
            if (event.getType() == BundleEvent.STARTED) {
                started.add(event.getBundle().getBundleId());
            }
        }

        /** Waits (bounded) until FileInstall has installed and started a bundle from each jar. */
        void awaitStarted() {
            long deadline = System.currentTimeMillis() + DEPLOY_WAIT_MS;
            List<Path> waiting = new ArrayList<>(jars);
            while (!waiting.isEmpty()) {
                waiting.removeIf(this::isStarted);
                if (waiting.isEmpty() || System.currentTimeMillis() > deadline) {
                    break;
                }
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            if (!waiting.isEmpty()) {
                LOG.warning("not started from " + folder + " after " + DEPLOY_WAIT_MS + " ms: "
                        + waiting.stream().map(p -> p.getFileName().toString()).toList() + "; going on");
            }
        }

        private boolean isStarted(Path jar) {
            String uri = jar.toUri().toString();
            for (Bundle b : context.getBundles()) {
                String location = b.getLocation();
                if (location.equals(uri) || location.endsWith(jar.toString())) {
                    return isFragment(b) ? b.getState() == Bundle.RESOLVED
                            : b.getState() == Bundle.ACTIVE && started.contains(b.getBundleId());
                }
            }
            return false;
        }

        @Override
        public void close() {
            if (!jars.isEmpty()) {
                context.removeBundleListener(this);
            }
        }
    }

    /** The trusted signers of the signed-bundle mode, or null when it is off. */
    private SignedJars signedJars() throws ConfigException {
        if (settings.trustStore == null) {
            return null;
        }
        try {
            SignedJars signed = SignedJars.load(settings.trustStore, settings.trustStorePassword);
            LOG.info("signed-bundle mode: deploy/ and agentupdate take only jars signed by a certificate of " + settings.trustStore);
            return signed;
        } catch (IOException e) {
            throw new ConfigException(e.getMessage(), e);
        }
    }

    /** Raises the framework to its final start level and waits until it got there. */
    private void raiseStartLevel(int level) {
        java.util.concurrent.CountDownLatch reached = new java.util.concurrent.CountDownLatch(1);
        felix.adapt(FrameworkStartLevel.class).setStartLevel(level, event -> reached.countDown());
        try {
            reached.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void reportNotStarted(List<Bundle> installed, List<Install> plan) {
        for (int i = 0; i < installed.size(); i++) {
            Bundle b = installed.get(i);
            if (!isFragment(b) && (plan.get(i).start() || console) && b.getState() != Bundle.ACTIVE) {
                LOG.severe("bundle " + name(b) + " did not start (state " + state(b.getState()) + "); see the errors above");
            }
        }
    }

    int activeBundles() {
        int n = 0;
        for (Bundle b : felix.getBundleContext().getBundles()) {
            n += b.getState() == Bundle.ACTIVE ? 1 : 0;
        }
        return n;
    }

    int bundleCount() {
        return felix.getBundleContext().getBundles().length;
    }

    int startLevel() {
        return felix.adapt(FrameworkStartLevel.class).getStartLevel();
    }

    /** Waits until the framework stopped (by {@link #stop} or from inside, e.g. gogo's "stop 0"). */
    void awaitStop() throws InterruptedException {
        felix.waitForStop(0);
    }

    /**
     * Stops the bundles of the exchanges first: no request comes in any more, and the dispatchers
     * answer the requests in hand while the core and every command are still there. Then all
     * other bundles, in reverse start order.
     */
    boolean stop(int timeoutSeconds) {
        if (felix == null) {
            return true;
        }
        long deadline = System.currentTimeMillis() + timeoutSeconds * 1000L;
        if (dropIns != null) {
            dropIns.close();
        }
        try {
            stopExchanges(deadline);
            felix.stop();
            FrameworkEvent event = felix.waitForStop(Math.max(1, deadline - System.currentTimeMillis()));
            return event.getType() != FrameworkEvent.WAIT_TIMEDOUT;
        } catch (BundleException e) {
            LOG.log(Level.WARNING, "stopping the framework failed: " + e.getMessage(), e);
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Stops (transiently: the next boot starts them again) the bundles that offer an exchange, until the deadline at most. */
    private void stopExchanges(long deadline) throws InterruptedException {
        BundleContext context = felix.getBundleContext();
        if (context == null) {
            return; // the framework has already stopped (e.g. "stop 0" in the console)
        }
        Set<Bundle> exchanges = new LinkedHashSet<>();
        try {
            ServiceReference<?>[] refs = context.getAllServiceReferences(EXCHANGE_SERVICE, null);
            for (ServiceReference<?> ref : refs == null ? new ServiceReference<?>[0] : refs) {
                if (ref.getBundle() != null) {
                    exchanges.add(ref.getBundle());
                }
            }
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e); // there is no filter
        }
        Thread stopper = new Thread(() -> {
            for (Bundle b : exchanges) {
                try {
                    b.stop(Bundle.STOP_TRANSIENT);
                } catch (BundleException | IllegalStateException e) {
                    LOG.log(Level.WARNING, "stopping " + name(b) + " failed: " + e.getMessage(), e);
                }
            }
        }, "guest-agent-stop-exchanges");
        stopper.start();
        stopper.join(Math.max(1, deadline - System.currentTimeMillis()));
    }

    private static boolean isFragment(Bundle b) {
        BundleRevision rev = b.adapt(BundleRevision.class);
        return rev != null && (rev.getTypes() & BundleRevision.TYPE_FRAGMENT) != 0;
    }

    private static String name(Bundle b) {
        return b == null ? "?" : b.getSymbolicName() + " " + b.getVersion();
    }

    private static String message(Throwable t) {
        return t == null ? "" : t.getMessage();
    }

    private static String state(int state) {
        return switch (state) {
            case Bundle.INSTALLED -> "INSTALLED (not resolved)";
            case Bundle.RESOLVED -> "RESOLVED";
            case Bundle.STARTING -> "STARTING";
            case Bundle.STOPPING -> "STOPPING";
            case Bundle.ACTIVE -> "ACTIVE";
            default -> Integer.toString(state);
        };
    }
}
