package org.guestagent.ops.network.apply;

import java.io.IOException;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.Map;

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
import org.guestagent.ops.facts.GuestFacts;
import org.guestagent.ops.network.NetworkConfigException;
import org.guestagent.ops.network.NetworkConfigurator;
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
 * Configures the guest's network from the validated model: chooses the backend, writes the
 * configuration of the guest's network system in one file transaction, sets the hostname and
 * restarts networking. The configuration keeps the PID of the command bundle it came from
 * ({@code org.guestagent.commands.network}), so existing configuration files still apply.
 */
@Component(service = NetworkConfigurator.class, configurationPid = GuestNetworkConfigurator.PID)
@Designate(ocd = GuestNetworkConfigurator.Config.class)
public class GuestNetworkConfigurator implements NetworkConfigurator {

    public static final String PID = "org.guestagent.commands.network";
    static final String UNKNOWN_OS = "Couldn't figure out my OS";

    @ObjectClassDefinition(name = "Guest agent network configuration", description = "How the guest network is configured (resetnetwork)")
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

    private static final System.Logger LOG = System.getLogger(GuestNetworkConfigurator.class.getName());
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS");

    private final GuestFiles files;
    private final SystemActions actions;
    private final GuestFacts facts;
    private final NicInventory nics;
    private final Config config;
    private final BackendChooser backends = new BackendChooser();

    @Activate
    public GuestNetworkConfigurator(@Reference(name = "files") GuestFiles files, @Reference(name = "actions") SystemActions actions,
            @Reference(name = "facts") GuestFacts facts,
            @Reference(name = "nics", policyOption = ReferencePolicyOption.GREEDY) NicInventory nics, Config config) {
        this.files = files;
        this.actions = actions;
        this.facts = facts;
        this.nics = nics;
        this.config = config;
    }

    /**
     * Backends are got only when a configuration may need them: one published for other systems
     * ({@value BackendChooser#OS_PROPERTY}) is never activated on this guest.
     */
    @Reference(name = "backends", service = NetworkBackend.class, cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            unbind = "removeBackend")
    void bindBackend(ComponentServiceObjects<NetworkBackend> backend, Map<String, Object> properties) {
        backends.add(backend, backend::getService, properties);
    }

    void removeBackend(ComponentServiceObjects<NetworkBackend> backend) {
        backends.remove(backend).ifPresent(got -> {
            try {
                backend.ungetService(got);
            } catch (IllegalStateException | IllegalArgumentException e) {
                // the backend's bundle is already gone
            }
        });
    }

    /** A backend object at hand (tests, vendors' own wiring). */
    public void addBackend(NetworkBackend backend, Map<String, Object> properties) {
        backends.add(backend, properties);
    }

    @Override
    public synchronized void configure(String requestId, NetworkSource source) throws NetworkConfigException, IOException {
        String request = requestId == null ? "-" : requestId;
        OsRelease os = OsDetection.detect(facts, files);
        NetworkBackend backend = backends.choose(os, files, config.backend()).orElse(null);
        if (backend == null) {
            LOG.log(System.Logger.Level.WARNING, "Network configuration " + request + ": no backend for OS '" + os.id() + "' "
                    + os.versionId() + " (forced: '" + config.backend() + "', present: " + backends.names() + ")");
            throw new NetworkConfigException(UNKNOWN_OS);
        }
        Map<String, String> guestNics;
        try {
            guestNics = nics.nics();
        } catch (IOException e) {
            throw new NetworkConfigException("Couldn't list the guest's network interfaces: " + e.getMessage(), e);
        }
        NetworkConfig network = source.read(guestNics);
        NetworkPlan plan = new NetworkPlan();
        CommonFiles.plan(network, files, plan);
        backend.plan(network, os, files, plan);
        LOG.log(System.Logger.Level.INFO, "Network configuration " + request + ": backend " + backend.name() + ", interfaces "
                + network.interfaces().stream().map(i -> i.name()).toList());
        apply(plan);
        if (network.hostname().isPresent()) {
            try {
                actions.setHostname(network.hostname().get());
            } catch (IOException e) {
                throw new NetworkConfigException("Couldn't set the hostname: " + e.getMessage(), e);
            }
        }
        if (config.restart_networking()) {
            for (Step step : plan.steps()) {
                run(step);
            }
        }
    }

    /** Writes and removes the plan's files together, keeping each previous version in the backup folder. */
    private void apply(NetworkPlan plan) throws NetworkConfigException {
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
            throw new NetworkConfigException("Couldn't write the network configuration, nothing was changed: " + e.getMessage(), e);
        }
    }

    private void run(Step step) throws NetworkConfigException {
        String line = String.join(" ", step.command());
        try {
            ExecResult result = actions.run(step.command(), null, Duration.ofSeconds(config.command_timeout_seconds()));
            if (!result.ok()) {
                String detail = firstLine(result.stderr().isBlank() ? result.stdout() : result.stderr());
                if (step.mustSucceed()) {
                    throw new NetworkConfigException("Couldn't restart networking: '" + line + "' exited with "
                            + result.exitCode() + (detail.isEmpty() ? "" : ": " + detail));
                }
                LOG.log(System.Logger.Level.INFO, "'" + line + "' exited with " + result.exitCode() + " (not needed): " + detail);
            }
        } catch (IOException e) {
            if (step.mustSucceed()) {
                throw new NetworkConfigException("Couldn't restart networking: '" + line + "' failed: " + e.getMessage(), e);
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
