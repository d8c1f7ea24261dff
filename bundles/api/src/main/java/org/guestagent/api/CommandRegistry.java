package org.guestagent.api;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/** The commands the agent offers right now; a service of the core. */
@ProviderType
public interface CommandRegistry extends CommandInvoker {

    /** One command as the registry sees it. */
    record CommandInfo(String name, String bundle, int ranking, String method, boolean secret) {
    }

    /** The commands that would answer now, sorted by name (one per name: the winner). */
    List<CommandInfo> commands();
}
