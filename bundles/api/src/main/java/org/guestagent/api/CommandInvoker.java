package org.guestagent.api;

import org.osgi.annotation.versioning.ProviderType;

/** Runs a command by name; handed to parsers by the core. */
@Deprecated
@ProviderType
public interface CommandInvoker {

    /**
     * Runs the command.
     *
     * @throws NoSuchCommandException when no command set offers the name right now
     * @throws CommandException when the command failed; its message is meant for the host
     */
    CommandResult invoke(String name, CommandArgument argument, CommandContext context)
            throws NoSuchCommandException, CommandException;
}
