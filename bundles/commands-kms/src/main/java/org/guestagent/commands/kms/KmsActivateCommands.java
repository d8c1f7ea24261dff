package org.guestagent.commands.kms;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.guestagent.api.command.Command;
import org.guestagent.api.command.CommandArgument;
import org.guestagent.api.command.CommandContext;
import org.guestagent.api.command.CommandException;
import org.guestagent.api.command.CommandSet;
import org.guestagent.api.command.ServesCommands;
import org.guestagent.api.system.GuestFiles;
import org.guestagent.api.system.SystemActions;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * kmsactivate on Red Hat family guests: registers the system with subscription-manager using the
 * activation key and organisation the host sent. The key never appears in a log or an answer, and
 * goes to RHSM over its D-Bus API ({@link RhsmDbus}); only when that is not available is
 * subscription-manager run with the key on its command line, and that is logged as a warning.
 */
@Component(service = CommandSet.class)
@ServesCommands(commands = { "kmsactivate" }, protocols = "nova-json")
public class KmsActivateCommands implements CommandSet {

    private static final System.Logger LOG = System.getLogger(KmsActivateCommands.class.getName());
    private static final Duration TIMEOUT = Duration.ofMinutes(5);
    private static final List<String> TOOL_PATHS = List.of("/usr/sbin/subscription-manager", "/usr/bin/subscription-manager");
    /** The system bus, below the guest root (a real guest: the running system's bus). */
    private static final List<String> SYSTEM_BUS_PATHS = List.of("/run/dbus/system_bus_socket", "/var/run/dbus/system_bus_socket");
    private static final List<String> RED_HAT_IDS = List.of("rhel", "fedora", "centos", "rocky", "almalinux", "ol");

    private final GuestFiles files;
    private final SystemActions actions;

    @Activate
    public KmsActivateCommands(@Reference GuestFiles files, @Reference SystemActions actions) {
        this.files = files;
        this.actions = actions;
    }

    /** Value: {@code {"activation_key": ..., "org"/"organization": ..., "profile": ..., "domains": [...]}}. */
    @Command(value = "kmsactivate", secret = true)
    public String kmsactivate(CommandArgument argument, CommandContext context) throws IOException {
        Map<String, Object> value = argument.object();
        if (value == null) {
            throw new CommandException("kmsactivate expects an object with 'activation_key'");
        }
        String key = text(value.get("activation_key"));
        if (key == null) {
            throw new CommandException("kmsactivate needs an 'activation_key'");
        }
        String org = firstText(value, "org", "organization", "organisation");
        if (!isRedHatFamily()) {
            throw new CommandException("kmsactivate is only supported on Red Hat family systems");
        }
        String tool = TOOL_PATHS.stream().filter(p -> Files.isExecutable(files.resolve(p))).findFirst()
                .orElseThrow(() -> new CommandException("kmsactivate needs subscription-manager, which is not installed"));
        String why;
        try {
            RhsmDbus.register(systemBus(), org, key, TIMEOUT);
            LOG.log(System.Logger.Level.INFO, "Request " + context.requestId() + ": system registered through RHSM's D-Bus API"
                    + (org == null ? "" : " for organisation " + org));
            return "";
        } catch (RhsmDbus.Refused e) {
            LOG.log(System.Logger.Level.WARNING, "Request " + context.requestId() + ": RHSM refused the registration: " + e.getMessage());
            throw new CommandException("subscription-manager register failed: " + e.getMessage());
        } catch (RhsmDbus.Unavailable e) {
            why = e.getMessage();
        }
        LOG.log(System.Logger.Level.WARNING, "Request " + context.requestId() + ": RHSM's D-Bus API is not available (" + why
                + "); falling back to subscription-manager's command line, where local users can read the activation key while it runs");
        List<String> command = new ArrayList<>(List.of(tool, "register", "--activationkey=" + key));
        if (org != null) {
            command.add("--org=" + org);
        }
        SystemActions.ExecResult result;
        try {
            result = actions.run(command, null, TIMEOUT);
        } catch (IOException e) {
            throw new CommandException("subscription-manager could not be run: " + redact(e.getMessage(), key));
        }
        if (!result.ok()) {
            String detail = redact(firstLine(result.stderr().isBlank() ? result.stdout() : result.stderr()), key);
            LOG.log(System.Logger.Level.WARNING, "Request " + context.requestId() + ": subscription-manager exited with "
                    + result.exitCode() + ": " + detail);
            throw new CommandException("subscription-manager register failed (exit " + result.exitCode() + "): " + detail);
        }
        LOG.log(System.Logger.Level.INFO, "Request " + context.requestId() + ": system registered with subscription-manager"
                + (org == null ? "" : " for organisation " + org));
        return "";
    }

    private java.nio.file.Path systemBus() {
        return SYSTEM_BUS_PATHS.stream().map(files::resolve).filter(Files::exists).findFirst()
                .orElse(files.resolve(SYSTEM_BUS_PATHS.get(0)));
    }

    /** From /etc/os-release: ID or ID_LIKE names a Red Hat family distribution; /etc/redhat-release else. */
    private boolean isRedHatFamily() throws IOException {
        byte[] osRelease = files.readIfExists("/etc/os-release");
        if (osRelease == null) {
            return files.readIfExists("/etc/redhat-release") != null;
        }
        for (String line : new String(osRelease, StandardCharsets.UTF_8).split("\n")) {
            String l = line.trim();
            if (l.startsWith("ID=") || l.startsWith("ID_LIKE=")) {
                String ids = l.substring(l.indexOf('=') + 1).replace("\"", "").replace("'", "").toLowerCase(Locale.ROOT);
                for (String id : ids.split("\\s+")) {
                    if (RED_HAT_IDS.contains(id)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    private static String firstText(Map<String, Object> value, String... keys) {
        for (String k : keys) {
            String t = text(value.get(k));
            if (t != null) {
                return t;
            }
        }
        return null;
    }

    private static String text(Object o) {
        return o == null || o.toString().isBlank() ? null : o.toString().trim();
    }

    private static String firstLine(String text) {
        String t = text == null ? "" : text.strip();
        int nl = t.indexOf('\n');
        return nl < 0 ? t : t.substring(0, nl);
    }

    static String redact(String text, String key) {
        return text == null ? "" : text.replace(key, "***");
    }
}
