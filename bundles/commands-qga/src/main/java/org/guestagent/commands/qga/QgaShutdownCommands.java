package org.guestagent.commands.qga;

import static org.guestagent.commands.qga.QgaArguments.Type.STRING;
import static org.guestagent.commands.qga.QgaArguments.optional;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.List;

import org.guestagent.api.command.Command;
import org.guestagent.api.command.CommandArgument;
import org.guestagent.api.command.CommandContext;
import org.guestagent.api.command.CommandException;
import org.guestagent.api.command.CommandSet;
import org.guestagent.api.command.ServesCommands;
import org.guestagent.api.system.SystemActions;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * guest-shutdown: powerdown (the default), halt or reboot, as qemu-ga runs it
 * ({@code shutdown -P|-H|-r +0 "hypervisor initiated shutdown"}), through the system actions
 * service, so with {@code --root} it is only recorded. As with qemu-ga, a successful call gets no
 * answer (the QGA parser sends none).
 */
@Component(service = CommandSet.class)
@ServesCommands(commands = "guest-shutdown", protocols = "qga")
public class QgaShutdownCommands implements CommandSet {
    private static final System.Logger LOG = System.getLogger(QgaShutdownCommands.class.getName());

    private final SystemActions actions;

    @Activate
    public QgaShutdownCommands(@Reference(name = "actions") SystemActions actions) {
        this.actions = actions;
    }

    @Command("guest-shutdown")
    public String shutdown(CommandArgument argument, CommandContext context) {
        QgaArguments args = QgaArguments.check(argument, optional("mode", STRING));
        String mode = args.has("mode") ? args.string("mode") : "powerdown";
        String flag = switch (mode) {
            case "powerdown" -> "-P";
            case "halt" -> "-H";
            case "reboot" -> "-r";
            default -> throw new CommandException("mode is invalid (valid values are: halt|powerdown|reboot");
        };
        LOG.log(Level.INFO, "request {0}: guest-shutdown {1}", context.requestId(), mode);
        try {
            SystemActions.ExecResult result = actions.run(List.of("shutdown", flag, "+0", "hypervisor initiated shutdown"),
                    null, Duration.ofSeconds(30));
            if (!result.ok()) {
                throw new CommandException("child process has failed to shutdown");
            }
        } catch (IOException e) {
            LOG.log(Level.WARNING, "request {0}: shutdown did not run: {1}", context.requestId(), e.getMessage());
            throw new CommandException("child process has failed to shutdown");
        }
        return "{}";
    }
}
