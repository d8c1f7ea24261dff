package org.guestagent.commands.qga;

import static org.guestagent.commands.qga.QgaArguments.Type.STRING_LIST;
import static org.guestagent.commands.qga.QgaArguments.optional;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.guestagent.api.command.Command;
import org.guestagent.api.command.CommandArgument;
import org.guestagent.api.command.CommandException;
import org.guestagent.api.command.CommandSet;
import org.guestagent.api.command.ServesCommands;
import org.guestagent.api.system.FileTransaction;
import org.guestagent.api.system.GuestFiles;
import org.guestagent.api.system.SystemActions;
import org.guestagent.api.system.WriteOptions;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * guest-fsfreeze-status/-freeze/-freeze-list/-thaw as qemu-ga 7.2 does them: the file systems are
 * those of /proc/self/mountinfo with a real device (major number not 0, or btrfs), frozen in
 * reverse mount order with FIFREEZE and thawed with FITHAW (through the system actions service, so
 * with {@code --root} both are only recorded). The hook {@code /etc/qemu/fsfreeze-hook} below the
 * root, when it exists, runs with {@code freeze} before and {@code thaw} after, as qemu-ga's
 * {@code -F} does. Unlike qemu-ga, a guest is never left frozen: the file systems are thawed when
 * the host has not thawed them within the configured time, and when this component stops.
 * <p>
 * While frozen, as qemu-ga's {@code ga_set_frozen}, every QGA command but those of
 * {@link #ALLOWED_WHILE_FROZEN} is disabled: a gate service (QgaParser's {@code qga.disabled.reason}
 * property) makes them answer "Command NAME has been disabled: the agent is in frozen state" and
 * guest-info list them as not enabled. The frozen state is kept in a file (qemu-ga's
 * {@code qga.state.isfrozen} of its state folder, /var/run by default, which a reboot empties), so an
 * agent that was killed while frozen starts frozen again ({@link FrozenAtStart}); its safety thaw
 * then runs from the start.
 */
@Component(service = CommandSet.class, configurationPid = QgaFsFreezeCommands.PID)
@Designate(ocd = QgaFsFreezeCommands.Config.class)
@ServesCommands(commands = { "guest-fsfreeze-status", "guest-fsfreeze-freeze", "guest-fsfreeze-freeze-list",
        "guest-fsfreeze-thaw" }, protocols = "qga")
public class QgaFsFreezeCommands implements CommandSet {
    public static final String PID = "org.guestagent.commands.qga.fsfreeze";

    @ObjectClassDefinition(name = "QGA file system freeze", description = "guest-fsfreeze-*: hook and safety thaw")
    public @interface Config {
        @AttributeDefinition(description = "Seconds after a freeze at which the agent thaws by itself (0: never)")
        long timeout_seconds() default 120;

        @AttributeDefinition(description = "The hook's guest path, run with freeze and thaw when it exists (empty: none)")
        String hook() default "/etc/qemu/fsfreeze-hook";

        @AttributeDefinition(description = "Where the mounted file systems are listed")
        String mountinfo() default "/proc/self/mountinfo";

        @AttributeDefinition(description = "The guest file that exists while the file systems are frozen, so a "
                + "restarted agent knows (qemu-ga's <statedir>/qga.state.isfrozen; empty: not kept)")
        String frozen_file() default "/run/guest-agent/qga.state.isfrozen";
    }

    /** qemu-ga's ga_freeze_allowlist: the commands that still run while the file systems are frozen. */
    static final List<String> ALLOWED_WHILE_FROZEN = List.of("guest-ping", "guest-info", "guest-sync",
            "guest-sync-delimited", "guest-fsfreeze-status", "guest-fsfreeze-thaw");
    /** What the disabled commands say after "Command NAME has been disabled: ", as qemu-ga 7.2. */
    static final String FROZEN_REASON = "the agent is in frozen state";
    /** QgaParser.DISABLED_REASON_PROPERTY and DISABLED_EXCEPT_PROPERTY (the bundles share no package). */
    static final String DISABLED_REASON_PROPERTY = "qga.disabled.reason";
    static final String DISABLED_EXCEPT_PROPERTY = "qga.disabled.except";

    /** Tells the rest of the agent that the frozen state began (true) or ended (false). */
    interface FrozenGate {
        void frozen(boolean frozen);
    }

    private static final System.Logger LOG = System.getLogger(QgaFsFreezeCommands.class.getName());
    private static final Duration HOOK_TIMEOUT = Duration.ofMinutes(5);

    private final SystemActions actions;
    private final GuestFiles files;
    private final Config config;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(task -> {
        Thread thread = new Thread(task, "fsfreeze-safety-thaw");
        thread.setDaemon(true);
        return thread;
    });
    private final FrozenGate gate;
    private boolean frozen;
    private ScheduledFuture<?> safetyThaw;

    @Activate
    public QgaFsFreezeCommands(@Reference(name = "actions") SystemActions actions,
            @Reference(name = "files") GuestFiles files, Config config, BundleContext context) {
        this(actions, files, config, new GateService(context));
    }

    QgaFsFreezeCommands(SystemActions actions, GuestFiles files, Config config, FrozenGate gate) {
        this.actions = actions;
        this.files = files;
        this.config = config;
        this.gate = gate;
        if (frozenFileExists()) {
            LOG.log(Level.WARNING, "A previous agent appears to have stopped with the file systems frozen ("
                    + config.frozen_file() + " exists): the commands not safe while frozen are disabled until "
                    + "guest-fsfreeze-thaw" + (config.timeout_seconds() > 0 ? " or the safety thaw in "
                    + config.timeout_seconds() + " s" : ""));
            synchronized (this) {
                setFrozen(); // the file is there already
                scheduleSafetyThaw();
            }
        }
    }

    /** While frozen, a service with QgaParser's gate properties: the parser disables all but the allowed commands. */
    private static final class GateService implements FrozenGate {
        private final BundleContext context;
        private ServiceRegistration<?> registration;

        GateService(BundleContext context) {
            this.context = context;
        }

        @Override
        public synchronized void frozen(boolean frozen) {
            if (frozen && registration == null) {
                Dictionary<String, Object> properties = new Hashtable<>();
                properties.put(DISABLED_REASON_PROPERTY, FROZEN_REASON);
                properties.put(DISABLED_EXCEPT_PROPERTY, ALLOWED_WHILE_FROZEN.toArray(new String[0]));
                registration = context.registerService(Object.class, new Object(), properties);
            } else if (!frozen && registration != null) {
                try {
                    registration.unregister();
                } catch (IllegalStateException e) {
                    // already gone with the bundle
                }
                registration = null;
            }
        }
    }

    /** A guest is never left frozen: thawed before anything is logged (a log may lie on a frozen file system). */
    @Deactivate
    void stop() {
        timer.shutdownNow();
        synchronized (this) {
            if (frozen) {
                int thawed = thawAll();
                LOG.log(Level.WARNING, "Stopping while the file systems were frozen: thawed " + thawed);
                runHookQuietly("thaw");
            }
        }
    }

    /**
     * Disables the commands not safe while frozen and marks the state in the frozen file, as
     * qemu-ga's ga_set_frozen does before the first FIFREEZE (the file is written while nothing is
     * frozen yet).
     */
    private void setFrozen() {
        frozen = true;
        gate.frozen(true);
        String file = frozenFile();
        if (file != null && !frozenFileExists()) {
            try {
                files.write(file, new byte[0], WriteOptions.mode(0600));
            } catch (IOException | RuntimeException e) {
                LOG.log(Level.WARNING, "Unable to create " + file + ", an agent started while frozen will not know: "
                        + e.getMessage());
            }
        }
    }

    /** Enables the commands again and removes the frozen file, as qemu-ga's ga_unset_frozen (after the thaw). */
    private void unsetFrozen() {
        frozen = false;
        gate.frozen(false);
        String file = frozenFile();
        if (file != null) {
            try (FileTransaction removal = files.begin()) {
                removal.delete(file);
                removal.commit();
            } catch (IOException | RuntimeException e) {
                LOG.log(Level.WARNING, "Unable to delete " + file + ", an agent started later will believe the file "
                        + "systems frozen: " + e.getMessage());
            }
        }
    }

    private String frozenFile() {
        String file = config.frozen_file() == null ? "" : config.frozen_file().strip();
        return file.isEmpty() ? null : file;
    }

    private boolean frozenFileExists() {
        String file = frozenFile();
        try {
            return file != null && files.readIfExists(file) != null;
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "Unable to read " + file + ": " + e.getMessage());
            return false;
        }
    }

    private void scheduleSafetyThaw() {
        if (config.timeout_seconds() > 0) {
            safetyThaw = timer.schedule(this::thawOnTimeout, config.timeout_seconds(), TimeUnit.SECONDS);
        }
    }

    @Command(value = "guest-fsfreeze-status", quiet = true)
    public synchronized String status(CommandArgument argument) {
        QgaArguments.check(argument);
        return Json.of(frozen ? "frozen" : "thawed");
    }

    @Command("guest-fsfreeze-freeze")
    public String freeze(CommandArgument argument) {
        QgaArguments.check(argument);
        return Json.of(freeze((List<String>) null));
    }

    @Command("guest-fsfreeze-freeze-list")
    public String freezeList(CommandArgument argument) {
        QgaArguments args = QgaArguments.check(argument, optional("mountpoints", STRING_LIST));
        return Json.of(freeze(args.strings("mountpoints")));
    }

    @Command("guest-fsfreeze-thaw")
    public synchronized String thaw(CommandArgument argument) {
        QgaArguments.check(argument);
        int thawed = thawAll();
        runHook("thaw");
        return Json.of(thawed);
    }

    /** Freezes the listed mount points (all when null), as qemu-ga: a failure thaws everything again. */
    private synchronized int freeze(List<String> wanted) {
        runHook("freeze");
        List<String> mounts = mountPoints();
        setFrozen();
        int count = 0;
        for (int i = mounts.size() - 1; i >= 0; i--) {
            String mount = mounts.get(i);
            if (wanted != null && !wanted.contains(mount)) {
                continue;
            }
            try {
                if (actions.freezeFilesystem(mount)) {
                    count++;
                }
            } catch (IOException e) {
                thawAll();
                runHookQuietly("thaw");
                throw new CommandException(e.getMessage());
            }
        }
        if (count == 0) {
            unsetFrozen(); // nothing frozen: ready for the next call, as qemu-ga
        } else {
            scheduleSafetyThaw();
        }
        return count;
    }

    private synchronized void thawOnTimeout() {
        if (frozen) {
            int thawed = thawAll();
            LOG.log(Level.WARNING, "The host did not thaw the file systems within " + config.timeout_seconds()
                    + " s: thawed " + thawed);
            runHookQuietly("thaw");
        }
    }

    /** FITHAW on every mount point until it fails (it takes one per freeze); how many it thawed. */
    private int thawAll() {
        int count = 0;
        for (String mount : mountPoints()) {
            boolean thawedThis = false;
            while (actions.thawFilesystem(mount)) {
                thawedThis = true;
            }
            if (thawedThis) {
                count++;
            }
        }
        if (frozen) {
            unsetFrozen();
        }
        if (safetyThaw != null) {
            safetyThaw.cancel(false);
            safetyThaw = null;
        }
        return count;
    }

    private void runHook(String phase) {
        String hook = config.hook() == null ? "" : config.hook().strip();
        if (hook.isEmpty()) {
            return;
        }
        Path script = files.resolve(hook);
        if (!Files.exists(script)) {
            return;
        }
        if (!Files.isExecutable(script)) {
            throw new CommandException("can't access fsfreeze hook '" + script + "': Permission denied");
        }
        SystemActions.ExecResult result;
        try {
            result = actions.run(List.of(script.toString(), phase), null, HOOK_TIMEOUT);
        } catch (IOException e) {
            throw new CommandException("fsfreeze hook has terminated abnormally");
        }
        if (!result.ok()) {
            throw new CommandException("fsfreeze hook has failed with status " + result.exitCode());
        }
    }

    private void runHookQuietly(String phase) {
        try {
            runHook(phase);
        } catch (CommandException e) {
            LOG.log(Level.WARNING, "The fsfreeze hook failed on " + phase + ": " + e.getMessage());
        }
    }

    /** The mount points qemu-ga freezes, in mount order. */
    private List<String> mountPoints() {
        try {
            return freezable(Files.readString(Path.of(config.mountinfo()), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new CommandException("failed to open " + config.mountinfo() + ": " + e.getMessage());
        }
    }

    /**
     * The mount points of a mountinfo text with a real device: major number not 0 (proc, tmpfs and
     * the like have 0), or btrfs (which reports 0).
     */
    static List<String> freezable(String mountinfo) {
        List<String> mounts = new ArrayList<>();
        for (String line : mountinfo.split("\n")) {
            String[] fields = line.split(" ");
            int separator = List.of(fields).indexOf("-");
            if (fields.length < 5 || separator < 0 || separator + 1 >= fields.length) {
                continue;
            }
            String device = fields[2];
            String type = fields[separator + 1];
            if (!device.startsWith("0:") || type.equals("btrfs")) {
                mounts.add(unescape(fields[4]));
            }
        }
        return mounts;
    }

    /** mountinfo writes space, tab, newline and backslash as \040, \011, \012 and \134. */
    static String unescape(String text) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\\' && i + 3 < text.length() && text.substring(i + 1, i + 4).matches("[0-7]{3}")) {
                out.append((char) Integer.parseInt(text.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
