package org.guestagent.sample;

import org.guestagent.api.Command;
import org.guestagent.api.CommandArgument;
import org.guestagent.api.CommandSet;
import org.osgi.service.component.annotations.Component;

/**
 * A vendor's command bundle in full: publish a CommandSet and name each command with @Command.
 * Drop the built jar into the agent's deploy/ folder and the commands answer at once;
 * remove the jar and they are gone.
 */
@Component(service = CommandSet.class)
public class SampleCommands implements CommandSet {

    @Command("sample_hello")
    public String hello() {
        return "hello from vendor";
    }

    /** Answers with the argument as text (JSON objects and lists in their plain form). */
    @Command("sample_echo")
    public String echo(CommandArgument argument) {
        String text = argument.asText();
        return text != null ? text : String.valueOf(argument.value());
    }
}
