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
import org.guestagent.api.system.GuestFiles;
import org.guestagent.api.system.SystemActions;
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
    private boolean frozen;
    private ScheduledFuture<?> safetyThaw;

    @Activate
    public QgaFsFreezeCommands(@Reference(name = "actions") SystemActions actions,
            @Reference(name = "files") GuestFiles files, Config config) {
        this.actions = actions;
        this.files = files;
        this.config = config;
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
        frozen = true;
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
            frozen = false; // nothing frozen: ready for the next call, as qemu-ga
        } else if (config.timeout_seconds() > 0) {
            safetyThaw = timer.schedule(this::thawOnTimeout, config.timeout_seconds(), TimeUnit.SECONDS);
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
        frozen = false;
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
