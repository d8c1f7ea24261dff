package org.guestagent.commands.update;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.Dictionary;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import org.guestagent.api.command.CommandException;
import org.guestagent.api.runtime.CommandRegistry;
import org.guestagent.api.system.GuestFiles;
import org.guestagent.api.system.SystemActions;
import org.guestagent.commands.update.BundleJars.BundleId;
import org.guestagent.commands.update.BundleUpdater.Change;
import org.guestagent.commands.update.BundleUpdater.Step;
import org.guestagent.commands.update.Downloader.Download;
import org.guestagent.common.jars.SignedJars;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.condition.Condition;
import org.osgi.util.tracker.ServiceTracker;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;

/**
 * Downloads, checks and installs updates, keeps their record, and rolls the last one back.
 * Updates that could stop the request path (core, parser, exchange, API, this bundle) are applied
 * on a separate thread shortly after the answer was written; the others are applied at once.
 */
// Delayed: activated by the first agentupdate, agent:updates or agent:rollback. The launcher keeps
// the framework's bundle cache, so installed updates are there at the next start; only a cache made
// anew needs them put back (RecordedUpdates).
@Component(service = UpdateManager.class, configurationPid = UpdateConfig.PID)
@Designate(ocd = UpdateConfig.class)
public class UpdateManager {

    private static final System.Logger LOG = System.getLogger(UpdateManager.class.getName());
    /** One update at a time, also across a replacement of this bundle's component. */
    private static final Object APPLYING = new Object();

    private final Bundle self;
    private final UpdateSettings settings;
    private final SystemActions actions;
    private final BundleUpdater updater;
    private final UpdateHistory history;

    @Activate
    public UpdateManager(BundleContext context, UpdateConfig config, @Reference GuestFiles files,
            @Reference SystemActions actions) {
        this(context, UpdateSettings.from(config, context.getProperty(UpdateSettings.TRUST_STORE_PROPERTY),
                context.getProperty(UpdateSettings.TRUST_STORE_PASSWORD_PROPERTY)), files, actions);
    }

    UpdateManager(BundleContext context, UpdateSettings settings, GuestFiles files, SystemActions actions) {
        this.self = context.getBundle();
        this.settings = settings;
        this.actions = actions;
        this.updater = new BundleUpdater(context.getBundle(0).getBundleContext(), settings.frameworkTimeout());
        this.history = new UpdateHistory(files, settings.stateDir(), settings.keepHistory());
    }

    /** agentupdate: returns the message of a success answer, throws CommandException otherwise. */
    String update(UpdateRequest request, String requestId) {
        // the core logs no argument of agentupdate (it may hold credentials): this is its log line
        LOG.log(System.Logger.Level.INFO, "Request " + requestId + ": agentupdate from " + request.shownUrl());
        request.checkScheme(settings.allowHttp());
        SignedJars signed = trustedSigners();
        Path work = privateFolder();
        boolean handedOver = false;
        try {
            Download download = new Downloader(settings).fetch(request, work.resolve("download"));
            verify(request, download);
            long unpackLimit = settings.maxSize() * 4;
            if (isGzip(download.file())) {
                if (signed != null) {
                    throw new CommandException("Only signed bundles are installed (signed-bundle mode); an installer tarball cannot be verified");
                }
                Path folder = Files.createDirectory(work.resolve("installer"));
                InstallerTarball.unpack(download.file(), folder, unpackLimit);
                later(() -> runInstaller(folder, request.shownUrl()), work);
                handedOver = true;
                LOG.log(System.Logger.Level.INFO, "Request " + requestId + ": installer from " + request.shownUrl() + " runs after the answer");
                return "";
            }
            List<Step> steps = steps(download.file(), work, unpackLimit);
            checkSignatures(steps, signed);
            checkNoDowngrade(steps);
            if (mustWait(steps)) {
                later(() -> applyAndRecord(steps, work, request.shownUrl()), work);
                handedOver = true;
                LOG.log(System.Logger.Level.INFO, "Request " + requestId + ": update from " + request.shownUrl() + " is applied after the answer");
                return "";
            }
            applyAndRecord(steps, work, request.shownUrl());
            return "";
        } catch (IOException e) {
            throw new CommandException("The update from " + request.shownUrl() + " could not be read: " + e.getMessage());
        } finally {
            if (!handedOver) {
                deleteTree(work);
            }
        }
    }

    /**
     * Puts back (in a thread of its own: not in the framework's start-level thread) the recorded
     * update bundles that the framework lacks or has in a lower version (a
     * newer installed version, e.g. from a new distribution, wins). Until they are back, a boot
     * hold keeps the core from answering 404 for a command they bring.
     */
    void reapplyRecorded() {
        List<Step> steps = new ArrayList<>();
        try {
            for (UpdateHistory.Installed i : history.installed()) {
                Bundle b = updater.find(i.symbolicName());
                Path jar = history.folder().resolve(i.file());
                if ((b == null || b.getVersion().compareTo(i.version()) < 0) && Files.isRegularFile(jar)) {
                    steps.add(new Step(i.symbolicName(), jar));
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "The record of installed updates in " + history.folder() + " is unreadable: " + e.getMessage());
            return;
        }
        if (steps.isEmpty()) {
            return;
        }
        Path work = privateFolder();
        ServiceRegistration<?> hold = holdBoot();
        inBackground(() -> {
            try {
                awaitBootCondition();
                synchronized (APPLYING) {
                    preloadOwnClasses();
                    LOG.log(System.Logger.Level.INFO, "Recorded updates put back: " + updater.apply(steps, work));
                }
            } finally {
                release(hold);
            }
        }, work, Duration.ZERO);
    }

    /**
     * Waits (bounded) for the boot condition (named by {@link CommandRegistry#BOOT_CONDITION_PROPERTY}):
     * updating bundles while the framework still starts others would race with it.
     */
    private void awaitBootCondition() {
        BundleContext context = self.getBundleContext();
        String condition = context == null ? null : context.getProperty(CommandRegistry.BOOT_CONDITION_PROPERTY);
        if (condition == null || condition.isBlank()) {
            return; // no launcher: nothing to wait for
        }
        ServiceTracker<Condition, Condition> tracker;
        try {
            tracker = new ServiceTracker<>(context, context.createFilter("(&(" + Constants.OBJECTCLASS + "="
                    + Condition.class.getName() + ")(" + Condition.CONDITION_ID + "=" + condition.trim() + "))"), null);
        } catch (InvalidSyntaxException e) {
            LOG.log(System.Logger.Level.WARNING, "Cannot wait for the boot condition " + condition + ": " + e.getMessage());
            return;
        }
        tracker.open();
        try {
            tracker.waitForService(settings.frameworkTimeout().toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            tracker.close();
        }
    }

    private ServiceRegistration<?> holdBoot() {
        BundleContext context = self.getBundleContext();
        if (context == null) {
            return null;
        }
        Dictionary<String, Object> properties = new Hashtable<>();
        properties.put(CommandRegistry.BOOT_HOLD_PROPERTY, "agentupdate: putting back recorded updates");
        return context.registerService(Object.class, new Object(), properties);
    }

    private static void release(ServiceRegistration<?> hold) {
        if (hold == null) {
            return;
        }
        try {
            hold.unregister();
        } catch (IllegalStateException e) {
            // already gone with this bundle, when an update replaced it
        }
    }

    /** Text for the shell: installed update bundles and the history, newest first. */
    String describe() throws IOException {
        StringBuilder out = new StringBuilder("Bundles installed by updates (state: " + history.folder() + "):\n");
        for (UpdateHistory.Installed i : history.installed()) {
            out.append("  ").append(i.symbolicName()).append(' ').append(i.version()).append('\n');
        }
        out.append("History, newest first:\n");
        List<UpdateHistory.Entry> entries = history.entries();
        for (int i = entries.size() - 1; i >= 0; i--) {
            UpdateHistory.Entry e = entries.get(i);
            out.append("  ").append(e.time()).append(' ').append(e.source()).append(": ").append(e.changes()).append('\n');
        }
        return out.toString();
    }

    /** Undoes the newest update of the history; returns what changed. */
    String rollbackLast() throws IOException {
        synchronized (APPLYING) {
            List<UpdateHistory.Entry> entries = history.entries();
            if (entries.isEmpty()) {
                throw new CommandException("There is no update to roll back");
            }
            UpdateHistory.Entry last = entries.get(entries.size() - 1);
            List<Step> steps = new ArrayList<>();
            for (Change c : last.changes()) {
                Path jar = null;
                if (c.before() != null) {
                    jar = history.previousJar(c.symbolicName(), c.before());
                    if (!Files.isRegularFile(jar)) {
                        throw new CommandException("The previous version " + c.before() + " of " + c.symbolicName() + " is no longer kept");
                    }
                }
                steps.add(new Step(c.symbolicName(), jar));
            }
            Path work = privateFolder();
            try {
                preloadOwnClasses();
                List<Change> changes = updater.apply(steps, work);
                history.removeLast();
                LOG.log(System.Logger.Level.INFO, "Rolled back the update from " + last.source() + ": " + changes);
                return "Rolled back: " + changes;
            } finally {
                deleteTree(work);
            }
        }
    }

    /** The trust store's signers in the signed-bundle mode, else null. */
    private SignedJars trustedSigners() {
        if (settings.trustStore() == null) {
            return null;
        }
        try {
            return SignedJars.load(settings.trustStore(), settings.trustStorePassword());
        } catch (IOException e) {
            LOG.log(System.Logger.Level.ERROR, e.getMessage());
            throw new CommandException("The trust store for signed bundles cannot be read; nothing was installed");
        }
    }

    private static void checkSignatures(List<Step> steps, SignedJars signed) {
        if (signed == null) {
            return;
        }
        for (Step step : steps) {
            String problem = signed.problem(step.jar());
            if (problem != null) {
                throw new CommandException("The update's bundle " + step.symbolicName() + " is refused: " + problem
                        + " (signed-bundle mode); nothing was installed");
            }
        }
    }

    /** Refuses a bundle older than the installed one unless allow.downgrade is set. */
    private void checkNoDowngrade(List<Step> steps) throws IOException {
        if (settings.allowDowngrade()) {
            return;
        }
        for (Step step : steps) {
            Bundle installed = updater.find(step.symbolicName());
            BundleId offered = BundleJars.read(step.jar());
            if (installed != null && offered != null && offered.version().compareTo(installed.getVersion()) < 0) {
                throw new CommandException("The update would downgrade " + step.symbolicName() + " from "
                        + installed.getVersion() + " to " + offered.version()
                        + "; set allow.downgrade to allow it; nothing was installed");
            }
        }
    }

    private void verify(UpdateRequest request, Download download) {
        if (request.md5() != null && !download.md5().equals(request.md5())) {
            throw new CommandException("MD5 mismatch for " + request.shownUrl() + ": expected " + request.md5() + ", got " + download.md5());
        }
        if (request.sha256() != null && !download.sha256().equals(request.sha256())) {
            throw new CommandException("SHA-256 mismatch for " + request.shownUrl() + ": expected " + request.sha256()
                    + ", got " + download.sha256());
        }
    }

    /** The bundles to put in place: the download itself, or the bundles its update archive lists. */
    private List<Step> steps(Path file, Path work, long unpackLimit) throws IOException {
        if (!isZip(file)) {
            throw new CommandException("The update is neither a bundle, an update archive (zip) nor an installer tarball (tar.gz)");
        }
        BundleId id = BundleJars.read(file);
        if (id != null) {
            return List.of(new Step(id.symbolicName(), file));
        }
        Path folder = Files.createDirectory(work.resolve("archive"));
        List<Step> steps = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (Path jar : UpdateArchive.unpack(file, folder, unpackLimit)) {
            BundleId bundle = BundleJars.read(jar);
            if (bundle == null) {
                throw new CommandException("'" + folder.relativize(jar) + "' in the update archive is not a bundle; nothing was installed");
            }
            if (!names.add(bundle.symbolicName())) {
                throw new CommandException("The update archive holds " + bundle.symbolicName() + " twice; nothing was installed");
            }
            steps.add(new Step(bundle.symbolicName(), jar));
        }
        return steps;
    }

    /** True when applying the steps could stop or restart a bundle the request path depends on. */
    private boolean mustWait(List<Step> steps) {
        Set<Bundle> existing = new HashSet<>();
        for (Step step : steps) {
            if (matchesDeferred(step.symbolicName())) {
                return true;
            }
            Bundle b = updater.find(step.symbolicName());
            if (b != null) {
                existing.add(b);
            }
        }
        Collection<Bundle> affected = existing.isEmpty() ? List.of() : updater.dependents(existing);
        return affected.stream().anyMatch(b -> b.equals(self) || matchesDeferred(b.getSymbolicName()));
    }

    private boolean matchesDeferred(String symbolicName) {
        if (symbolicName == null) {
            return false;
        }
        if (symbolicName.equals(self.getSymbolicName())) {
            return true;
        }
        for (String pattern : settings.deferredBundles()) {
            String p = pattern.trim();
            if (p.endsWith("*") ? symbolicName.startsWith(p.substring(0, p.length() - 1)) : symbolicName.equals(p)) {
                return true;
            }
        }
        return false;
    }

    private void applyAndRecord(List<Step> steps, Path work, String source) {
        synchronized (APPLYING) {
            preloadOwnClasses();
            List<Change> changes = updater.apply(steps, work.resolve("previous"));
            Map<String, Path> jars = new LinkedHashMap<>();
            steps.forEach(s -> jars.put(s.symbolicName(), s.jar()));
            try {
                history.record(source, changes, jars, work.resolve("previous"));
            } catch (IOException e) {
                LOG.log(System.Logger.Level.ERROR, "Update from " + source + " is applied but could not be recorded in "
                        + history.folder() + ": " + e.getMessage());
                throw new CommandException("The update was applied but could not be recorded, so it would not survive a restart: " + e.getMessage());
            }
            LOG.log(System.Logger.Level.INFO, "Update from " + source + " applied: " + changes);
        }
    }

    private void runInstaller(Path folder, String source) {
        // The originals' installer replaces the agent and restarts it through its init script.
        List<String> command = List.of("/bin/sh", "-c", "cd \"$1\" && exec /bin/sh ./" + InstallerTarball.INSTALLER,
                "agentupdate", folder.toString());
        try {
            SystemActions.ExecResult result = actions.run(command, null, settings.installerTimeout());
            LOG.log(result.ok() ? System.Logger.Level.INFO : System.Logger.Level.ERROR,
                    "installer.sh from " + source + " exited with " + result.exitCode());
        } catch (IOException e) {
            LOG.log(System.Logger.Level.ERROR, "installer.sh from " + source + " could not run: " + e.getMessage());
        }
    }

    /** Runs the task on its own thread after the configured delay, then removes the work folder. */
    private void later(Runnable task, Path work) {
        inBackground(task, work, settings.applyDelay());
    }

    private void inBackground(Runnable task, Path work, Duration delay) {
        Thread thread = new Thread(() -> {
            try {
                Thread.sleep(delay.toMillis());
                task.run();
            } catch (InterruptedException e) {
                LOG.log(System.Logger.Level.WARNING, "A pending update was interrupted and not applied");
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "A pending update failed: " + e.getMessage());
            } finally {
                deleteTree(work);
            }
        }, "agentupdate-apply");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Loads every class of this bundle before an update that may replace it: once the framework has
     * refreshed this bundle, its old class loader can no longer load anything.
     */
    private void preloadOwnClasses() {
        Enumeration<URL> classes = self.findEntries(getClass().getPackageName().replace('.', '/'), "*.class", false);
        while (classes != null && classes.hasMoreElements()) {
            String path = classes.nextElement().getPath();
            String name = path.substring(path.indexOf("org/guestagent/"), path.length() - ".class".length()).replace('/', '.');
            try {
                Class.forName(name, true, getClass().getClassLoader());
            } catch (ClassNotFoundException | LinkageError e) {
                LOG.log(System.Logger.Level.DEBUG, "Could not preload " + name);
            }
        }
    }

    private Path privateFolder() {
        try {
            Files.createDirectories(settings.tempDir());
            return Files.createTempDirectory(settings.tempDir(), "agentupdate-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (IOException e) {
            throw new CommandException("No private folder for the download could be made in " + settings.tempDir() + ": " + e.getMessage());
        }
    }

    static void deleteTree(Path folder) {
        if (!Files.exists(folder)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(folder)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "Could not remove " + folder + ": " + e.getMessage());
        }
    }

    private static boolean isZip(Path file) throws IOException {
        byte[] head = head(file);
        return head.length >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4;
    }

    private static boolean isGzip(Path file) throws IOException {
        byte[] head = head(file);
        return head.length >= 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b;
    }

    private static byte[] head(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return in.readNBytes(4);
        }
    }
}
