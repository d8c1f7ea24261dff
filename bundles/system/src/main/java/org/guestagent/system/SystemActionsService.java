package org.guestagent.system;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.guestagent.api.platform.NativePlatform;
import org.guestagent.api.system.GuestFiles;
import org.guestagent.api.system.SystemActions;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The SystemActions service: hands every call to the real or the recording implementation,
 * chosen by the {@code mode} property ({@code auto}: recording unless the root folder is /).
 */
@Component(service = SystemActions.class, configurationPid = SystemActionsService.PID)
@Designate(ocd = SystemActionsService.Config.class)
public class SystemActionsService implements SystemActions {

    public static final String PID = "org.guestagent.system.actions";

    @ObjectClassDefinition(name = "System actions", description = "Whether system actions are carried out or recorded")
    public @interface Config {
        @AttributeDefinition(description = "real, recording, or auto (recording when the root folder is not /)")
        String mode() default "auto";
    }

    private static final System.Logger LOG = System.getLogger(SystemActionsService.class.getName());

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile NativePlatform platform;

    private final SystemActions delegate;

    @Activate
    public SystemActionsService(@Reference(name = "files") GuestFiles files, Config config) {
        this.delegate = choose(config.mode(), files.root(), () -> platform);
        LOG.log(System.Logger.Level.INFO, "System actions are " + (delegate.isRecording() ? "recorded" : "carried out"));
    }

    static SystemActions choose(String mode, Path root, java.util.function.Supplier<NativePlatform> platform) {
        String chosen = mode == null ? "auto" : mode.trim().toLowerCase(java.util.Locale.ROOT);
        boolean recording = switch (chosen) {
            case "real" -> false;
            case "recording" -> true;
            case "auto", "" -> !root.equals(root.getRoot());
            default -> throw new IllegalArgumentException("mode must be real, recording or auto, not " + mode);
        };
        return recording ? new RecordingSystemActions(root, RecordingSystemActions.LOG_PATH)
                : new RealSystemActions(platform);
    }

    @Override
    public void setHostname(String hostname) throws IOException {
        delegate.setHostname(hostname);
    }

    @Override
    public ExecResult run(List<String> command, byte[] input, Duration timeout) throws IOException {
        return delegate.run(command, input, timeout);
    }

    @Override
    public Process start(List<String> command, Map<String, String> environment, boolean pipeInput, boolean captureOutput)
            throws IOException {
        return delegate.start(command, environment, pipeInput, captureOutput);
    }

    @Override
    public boolean freezeFilesystem(String mountPoint) throws IOException {
        return delegate.freezeFilesystem(mountPoint);
    }

    @Override
    public boolean thawFilesystem(String mountPoint) {
        return delegate.thawFilesystem(mountPoint);
    }

    @Override
    public boolean isRecording() {
        return delegate.isRecording();
    }

    @Override
    public List<String> recorded() {
        return delegate.recorded();
    }
}
