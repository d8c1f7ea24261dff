package org.guestagent.commands.update;

import org.guestagent.api.command.Command;
import org.guestagent.api.command.CommandArgument;
import org.guestagent.api.command.CommandContext;
import org.guestagent.api.command.CommandSet;
import org.guestagent.api.command.ServesCommands;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** The agentupdate command: download an update, check its digests, install it in place. */
@Component(service = CommandSet.class)
@ServesCommands(commands = { "agentupdate" }, protocols = "nova-json")
public class UpdateCommands implements CommandSet {

    private final UpdateManager manager;

    @Activate
    public UpdateCommands(@Reference UpdateManager manager) {
        this.manager = manager;
    }

    /**
     * Value: {@code "url,md5hex"}, {@code "url,sha256hex"} or {@code {"url", "md5sum", "sha256"?}}.
     * Secret: the URL may carry credentials; the update manager logs it stripped of them.
     */
    @Command(value = "agentupdate", secret = true)
    public String agentupdate(CommandArgument argument, CommandContext context) {
        return manager.update(UpdateRequest.parse(argument), context.requestId());
    }
}
