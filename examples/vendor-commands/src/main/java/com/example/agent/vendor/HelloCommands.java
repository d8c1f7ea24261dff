package com.example.agent.vendor;

import org.guestagent.api.command.Command;
import org.guestagent.api.command.CommandArgument;
import org.guestagent.api.command.CommandException;
import org.guestagent.api.command.CommandResult;
import org.guestagent.api.command.CommandSet;
import org.guestagent.api.command.ServesCommands;
import org.osgi.service.component.annotations.Component;

/**
 * A vendor's commands: drop the jar into deploy/ and the host can call them. The names are
 * declared, so the agent lists them without loading this class until the first call.
 */
@Component(service = CommandSet.class)
@ServesCommands(commands = { "example_hello", "example_echo" }) // any protocol; or protocols = "nova-json"
public class HelloCommands implements CommandSet {

    @Command("example_hello")
    public String hello() {
        return "hello from the example vendor";
    }

    /** Echoes a text argument; anything else is an invalid argument. */
    @Command("example_echo")
    public CommandResult echo(CommandArgument argument) {
        if (!argument.isText()) {
            throw new CommandException(CommandResult.Status.INVALID_ARGUMENT, "example_echo takes a text");
        }
        return CommandResult.ok(argument.text());
    }
}
