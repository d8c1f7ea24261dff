package org.guestagent.api.transport;

import org.guestagent.api.command.CommandArgument;
import org.guestagent.api.command.CommandContext;
import org.guestagent.api.command.CommandException;
import org.guestagent.api.command.CommandResult;
import org.osgi.annotation.versioning.ProviderType;

/** Runs a command by name; handed to parsers by the core. */
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
