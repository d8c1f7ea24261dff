package org.guestagent.core;

import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import org.guestagent.api.command.CommandArgument;
import org.guestagent.api.command.CommandContext;
import org.guestagent.api.command.CommandException;
import org.guestagent.api.command.CommandResult;
import org.guestagent.api.hostdata.HostData;
import org.guestagent.api.transport.NoSuchCommandException;

/**
 * Runs a command on the caller's thread (a dispatcher's), its time limit kept by a
 * {@link CommandWatchdog}: the core's registry, as a dispatcher sees it.
 */
interface WatchedInvoker {
    /**
     * Runs the command here. When it passes its time limit, {@code onTimeout} gets the error to
     * answer the request with, on the watchdog's thread, while the command still runs; what the
     * command gives when it ends after that is late and must be dropped by the caller.
     * A request that must wait for the gate stops waiting once {@code pairStopping} says so.
     */
    CommandResult invoke(String name, CommandArgument argument, CommandContext context, String protocol,
            HostData hostData, BooleanSupplier pairStopping, Consumer<CommandException> onTimeout)
            throws NoSuchCommandException;
}
