package org.guestagent.api.runtime;

import java.time.Instant;
import java.util.List;

import org.guestagent.api.transport.CommandInvoker;

import org.osgi.annotation.versioning.ProviderType;

/** The commands the agent offers right now; a service of the core. */
@ProviderType
public interface CommandRegistry extends CommandInvoker {

    /**
     * The id ({@code osgi.condition.id}) of the boot condition: an OSGi {@code Condition} service the
     * launcher registers once the framework has reached its last start level and the bundles found
     * in {@code deploy/} at the start have started. The core starts early; until the condition is
     * there it holds every request except those of its early commands (such as {@code version}), so
     * a command never runs before the services it uses have started.
     */
    String BOOT_CONDITION = "guestagent.boot";

    /**
     * Framework property naming the condition the boot waits for (the launcher sets it to
     * {@link #BOOT_CONDITION}). Without it (a test container) the boot counts as over once the core runs.
     */
    String BOOT_CONDITION_PROPERTY = "guestagent.boot.condition";

    /**
     * Service property (its value says why): while a service of any class carrying it is
     * registered, the boot is not over, and after the boot the core holds requests (except those
     * of its early commands) until it is gone. For a bundle that still puts commands in place at
     * boot (it must register before the boot condition is registered), or that replaces bundles
     * while the agent runs.
     */
    String BOOT_HOLD_PROPERTY = "guestagent.boot.hold";

    /**
     * One command as the registry sees it: {@code protocols} those its set serves ({@code ["*"]} for
     * any), {@code loaded} whether its set has been activated (a set that declares its commands is
     * activated on its first call), {@code method} the class and method once loaded.
     */
    record CommandInfo(String name, String bundle, int ranking, String method, boolean secret,
            List<String> protocols, boolean loaded) {
    }

    /** The commands that would answer now, for any protocol, sorted by name (one per name: the winner). */
    List<CommandInfo> commands();

    /** The commands that would answer now on a pair of the given protocol, sorted by name. */
    List<CommandInfo> commands(String protocol);

    /** What a request's command is doing in the registry. */
    enum RunState {
        /** held until the boot is over or the bundles it uses have settled */
        WAITING,
        /** running within its timeout */
        RUNNING,
        /** answered 500 after its timeout, interrupted, and still not ended */
        HANGING
    }

    /**
     * One request the registry holds or runs now, or whose command passed its timeout and has not
     * ended; {@code since} is when it entered that state, {@code thread} the thread it occupies.
     */
    record CommandRun(String command, String requestId, RunState state, Instant since, String thread) {
    }

    /** The requests waiting or running now and the commands left hanging, oldest first. */
    List<CommandRun> runs();
}
