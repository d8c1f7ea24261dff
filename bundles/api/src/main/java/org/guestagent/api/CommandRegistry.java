package org.guestagent.api;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/** The commands the agent offers right now; a service of the core. */
@ProviderType
public interface CommandRegistry extends CommandInvoker {

    /**
     * Framework property: the start level at which the agent's boot is over. The core starts
     * early; until then it holds a request for a command it does not know yet instead of
     * answering 404. Without it the boot counts as over once the core runs.
     */
    String BOOT_START_LEVEL_PROPERTY = "guestagent.boot.startlevel";

    /**
     * Service property (its value says why): while a service of any class carrying it is
     * registered, the boot is not over. For a bundle that still puts commands in place at boot;
     * it must register before the boot's start level is reached.
     */
    String BOOT_HOLD_PROPERTY = "guestagent.boot.hold";

    /** One command as the registry sees it. */
    record CommandInfo(String name, String bundle, int ranking, String method, boolean secret) {
    }

    /** The commands that would answer now, sorted by name (one per name: the winner). */
    List<CommandInfo> commands();
}
