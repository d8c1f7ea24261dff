package com.example.agent.sample;

import org.guestagent.api.Command;
import org.guestagent.api.CommandArgument;
import org.guestagent.api.CommandSet;
import org.osgi.service.component.annotations.Component;

/**
 * A vendor command bundle: drop its jar into deploy/ and the host can call these commands.
 * (The README shows this class as the example to copy.)
 */
@Component(service = CommandSet.class)
public class SampleCommands implements CommandSet {

    @Command("sample_hello")
    public String hello() {
        return "hello from vendor";
    }

    @Command("sample_echo")
    public String echo(CommandArgument argument) {
        return String.valueOf(argument.asText());
    }
}
