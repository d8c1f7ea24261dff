package org.guestagent.commands.misc;

import java.util.stream.Collectors;

import org.guestagent.api.command.Command;
import org.guestagent.api.command.CommandContext;
import org.guestagent.api.command.CommandException;
import org.guestagent.api.runtime.CommandRegistry;
import org.guestagent.api.command.CommandSet;
import org.guestagent.api.command.ServesCommands;
import org.osgi.framework.FrameworkUtil;
import org.osgi.service.component.ComponentContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** {@code version} and {@code features}: what the agent is and what it can do right now. */
// The registry is looked up per call rather than injected: it tracks this command set itself,
// and injecting it here would make a cycle.
@Component(service = CommandSet.class, configurationPid = "org.guestagent.commands.misc",
        reference = @Reference(name = "registry", service = CommandRegistry.class,
                cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC))
@Designate(ocd = MiscCommands.Config.class)
@ServesCommands(commands = { "version", "features" }, protocols = "nova-json")
public class MiscCommands implements CommandSet {

    @ObjectClassDefinition(name = "Guest agent version and features")
    public @interface Config {
        @AttributeDefinition(description = "Version reported to the host; empty means this bundle's version")
        String agent_version() default "";
    }

    private volatile ComponentContext context;
    private volatile String version;

    @Activate
    @Modified
    void configure(ComponentContext context, Config config) {
        this.context = context;
        String configured = config.agent_version();
        version = configured.isBlank()
                ? FrameworkUtil.getBundle(MiscCommands.class).getVersion().toString()
                : configured;
    }

    /** The host sends "agent" as the value; it is ignored, as the original agents did. */
    @Command(value = "version", quiet = true)
    public String version() {
        return version;
    }

    /** Every command name answering now on the asking pair's protocol, joined by commas. */
    @Command(value = "features", quiet = true)
    public String features(CommandContext request) {
        CommandRegistry commands = (CommandRegistry) context.locateService("registry");
        if (commands == null) {
            throw new CommandException("The command registry is not available");
        }
        return commands.commands(request.protocol()).stream().map(CommandRegistry.CommandInfo::name).collect(Collectors.joining(","));
    }
}
