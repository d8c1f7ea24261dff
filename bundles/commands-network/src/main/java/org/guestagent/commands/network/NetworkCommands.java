package org.guestagent.commands.network;

import java.io.IOException;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.Map;

import org.guestagent.api.command.Command;
import org.guestagent.api.command.CommandContext;
import org.guestagent.api.command.CommandException;
import org.guestagent.api.command.CommandSet;
import org.guestagent.api.command.ServesCommands;
import org.guestagent.api.hostdata.HostData;
import org.guestagent.api.system.FileTransaction;
import org.guestagent.api.system.GuestFiles;
import org.guestagent.api.system.SystemActions;
import org.guestagent.api.system.SystemActions.ExecResult;
import org.guestagent.api.system.WriteOptions;
import org.guestagent.commands.network.spi.NetworkBackend;
import org.guestagent.commands.network.spi.NetworkConfig;
import org.guestagent.commands.network.spi.NetworkPlan;
import org.guestagent.commands.network.spi.NetworkPlan.PlannedFile;
import org.guestagent.commands.network.spi.NetworkPlan.Step;
import org.guestagent.commands.network.spi.NicInventory;
import org.guestagent.commands.network.spi.OsRelease;
import org.osgi.service.component.ComponentServiceObjects;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * {@code resetnetwork}: reads the host's networking data, checks it, writes the configuration of
 * the guest's network system in one file transaction, sets the hostname and restarts networking.
 */
@Component(service = CommandSet.class, configurationPid = NetworkCommands.PID)
@Designate(ocd = NetworkCommands.Config.class)
@ServesCommands(commands = { "resetnetwork" }, protocols = "nova-json")
public class NetworkCommands implements CommandSet {

    public static final String PID = "org.guestagent.commands.network";
    static final String UNKNOWN_OS = "Couldn't figure out my OS";

    @ObjectClassDefinition(name = "Guest agent resetnetwork", description = "How resetnetwork configures the guest's network")
    public @interface Config {
        @AttributeDefinition(description = "Name of the backend to use (debian, netplan, redhat, networkmanager, "
                + "systemd-networkd, suse, gentoo, arch, freebsd, alpine); empty detects it from /etc/os-release")
        String backend() default "";

        @AttributeDefinition(description = "Restart networking after writing the files")
        boolean restart_networking() default true;

        @AttributeDefinition(description = "Seconds each restart command may run before it is stopped")
        int command_timeout_seconds() default 40;

        @AttributeDefinition(description = "Guest folder keeping the previous version of every replaced or removed file")
        String backup_folder() default "/var/lib/guest-agent/backup/network";
    }

    /** resetnetwork on an exchange that carries no host data (nova's hosts always send it over XenStore). */
    static final String NO_HOST_DATA = "There is no network data: the exchange this request came through carries none from the host";
    private static final System.Logger LOG = System.getLogger(NetworkCommands.class.getName());
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS");

    private final GuestFiles files;
    private final SystemActions actions;
    private final NicInventory nics;
    private final Config config;
    private final BackendChooser backends = new BackendChooser();

    @Activate
    public NetworkCommands(@Reference GuestFiles files, @Reference SystemActions actions,
            @Reference(policyOption = ReferencePolicyOption.GREEDY) NicInventory nics, Config config) {
        this.files = files;
        this.actions = actions;
        this.nics = nics;
        this.config = config;
    }

    /**
     * Backends are got only when resetnetwork may need them: one published for other systems
     * ({@value BackendChooser#OS_PROPERTY}) is never activated on this guest.
     */
    @Reference(service = NetworkBackend.class, cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void bindBackend(ComponentServiceObjects<NetworkBackend> backend, Map<String, Object> properties) {
        backends.add(backend, backend::getService, properties);
    }

    void unbindBackend(ComponentServiceObjects<NetworkBackend> backend) {
        backends.remove(backend).ifPresent(got -> {
            try {
                backend.ungetService(got);
            } catch (IllegalStateException | IllegalArgumentException e) {
                // the backend's bundle is already gone
            }
        });
    }

    /** A backend object at hand (tests). */
    void addBackend(NetworkBackend backend, Map<String, Object> properties) {
        backends.add(backend, properties);
    }

    @Command("resetnetwork")
    public synchronized String resetNetwork(CommandContext context) throws IOException {
        String request = context == null ? "-" : context.requestId();
        OsRelease os = OsDetection.detect(files);
        NetworkBackend backend = backends.choose(os, files, config.backend()).orElseThrow(() -> {
            LOG.log(System.Logger.Level.WARNING, "resetnetwork " + request + ": no backend for OS '" + os.id() + "' "
                    + os.versionId() + " (forced: '" + config.backend() + "', present: " + backends.names() + ")");
            return new CommandException(UNKNOWN_OS);
        });
        Map<String, String> guestNics;
        try {
            guestNics = nics.nics();
        } catch (IOException e) {
            throw new CommandException("Couldn't list the guest's network interfaces: " + e.getMessage(), e);
        }
        // the data of the host that sent the request, from the exchange that carried it
        HostData hostData = context == null ? null : context.hostData().orElse(null);
        if (hostData == null) {
            throw new CommandException(NO_HOST_DATA);
        }
        NetworkConfig network;
        try {
            network = NetworkDataReader.read(hostData, guestNics);
        } catch (IOException e) {
            throw new CommandException("Couldn't read the network data from the host: " + e.getMessage(), e);
        }
        NetworkPlan plan = new NetworkPlan();
        CommonFiles.plan(network, files, plan);
        backend.plan(network, os, files, plan);
        LOG.log(System.Logger.Level.INFO, "resetnetwork " + request + ": backend " + backend.name() + ", interfaces "
                + network.interfaces().stream().map(i -> i.name()).toList());
        apply(plan);
        if (network.hostname().isPresent()) {
            try {
                actions.setHostname(network.hostname().get());
            } catch (IOException e) {
                throw new CommandException("Couldn't set the hostname: " + e.getMessage(), e);
            }
        }
        if (config.restart_networking()) {
            for (Step step : plan.steps()) {
                run(step);
            }
        }
        return "";
    }

    /** Writes and removes the plan's files together, keeping each previous version in the backup folder. */
    private void apply(NetworkPlan plan) {
        String backupRoot = config.backup_folder().replaceAll("/+$", "") + "/" + LocalDateTime.now().format(STAMP);
        try (FileTransaction tx = files.begin()) {
            for (Map.Entry<String, PlannedFile> write : plan.writes().entrySet()) {
                byte[] old = files.readIfExists(write.getKey());
                if (old != null && Arrays.equals(old, write.getValue().content())) {
                    continue; // unchanged: no write, no backup
                }
                if (old != null) {
                    tx.write(backupRoot + write.getKey(), old, WriteOptions.mode(0600).forced());
                }
                int mode = write.getValue().mode();
                // our own files get their mode always (a key file must be 0600); shared ones keep theirs
                tx.write(write.getKey(), write.getValue().content(), mode == 0644 ? WriteOptions.DEFAULT : WriteOptions.mode(mode).forced());
            }
            for (String delete : plan.deletes()) {
                byte[] old = files.readIfExists(delete);
                if (old != null) {
                    tx.write(backupRoot + delete, old, WriteOptions.mode(0600).forced());
                    tx.delete(delete);
                }
            }
            tx.commit();
        } catch (IOException | RuntimeException e) {
            if (e instanceof CommandException ce) {
                throw ce;
            }
            throw new CommandException("Couldn't write the network configuration, nothing was changed: " + e.getMessage(), e);
        }
    }

    private void run(Step step) {
        String line = String.join(" ", step.command());
        try {
            ExecResult result = actions.run(step.command(), null, Duration.ofSeconds(config.command_timeout_seconds()));
            if (!result.ok()) {
                String detail = firstLine(result.stderr().isBlank() ? result.stdout() : result.stderr());
                if (step.mustSucceed()) {
                    throw new CommandException("Couldn't restart networking: '" + line + "' exited with "
                            + result.exitCode() + (detail.isEmpty() ? "" : ": " + detail));
                }
                LOG.log(System.Logger.Level.INFO, "'" + line + "' exited with " + result.exitCode() + " (not needed): " + detail);
            }
        } catch (IOException e) {
            if (step.mustSucceed()) {
                throw new CommandException("Couldn't restart networking: '" + line + "' failed: " + e.getMessage(), e);
            }
            LOG.log(System.Logger.Level.INFO, "'" + line + "' failed (not needed): " + e.getMessage());
        }
    }

    private static String firstLine(String text) {
        String stripped = text.strip();
        int newline = stripped.indexOf('\n');
        return newline < 0 ? stripped : stripped.substring(0, newline);
    }
}
