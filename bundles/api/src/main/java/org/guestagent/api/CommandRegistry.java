package org.guestagent.api;

import java.time.Instant;
import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/** The commands the agent offers right now; a service of the core. */
@Deprecated
@ProviderType
public interface CommandRegistry extends CommandInvoker {

    /**
     * Framework property: the start level at which the agent's boot is over. The core starts
     * early; until then it holds every request except those of its early commands (such as
     * {@code version}), so a command never runs before the services it uses have started.
     * Without it the boot counts as over once the core runs.
     */
    String BOOT_START_LEVEL_PROPERTY = "guestagent.boot.startlevel";

    /**
     * Service property (its value says why): while a service of any class carrying it is
     * registered, the boot is not over, and after the boot the core holds requests (except those
     * of its early commands) until it is gone. For a bundle that still puts commands in place at
     * boot (it must register before the boot's start level is reached), or that replaces bundles
     * while the agent runs.
     */
    String BOOT_HOLD_PROPERTY = "guestagent.boot.hold";

    /** One command as the registry sees it. */
    record CommandInfo(String name, String bundle, int ranking, String method, boolean secret) {
    }

    /** The commands that would answer now, sorted by name (one per name: the winner). */
    List<CommandInfo> commands();

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
