package org.guestagent.commands.network;

import java.io.IOException;

import org.guestagent.api.command.Command;
import org.guestagent.api.command.CommandContext;
import org.guestagent.api.command.CommandException;
import org.guestagent.api.command.CommandSet;
import org.guestagent.api.command.ServesCommands;
import org.guestagent.api.hostdata.HostData;
import org.guestagent.ops.network.NetworkConfigException;
import org.guestagent.ops.network.NetworkConfigurator;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code resetnetwork}, a nova adapter: reads the host's networking data (nova's form, from the
 * exchange that carried the request) into the validated model and hands it to the
 * network-configuration operation ({@link NetworkConfigurator}), which writes, sets the hostname
 * and restarts networking. Its configuration (PID {@code org.guestagent.commands.network}) is the
 * operation's.
 */
@Component(service = CommandSet.class)
@ServesCommands(commands = { "resetnetwork" }, protocols = "nova-json")
public class NetworkCommands implements CommandSet {

    /** resetnetwork on an exchange that carries no host data (nova's hosts always send it over XenStore). */
    static final String NO_HOST_DATA = "There is no network data: the exchange this request came through carries none from the host";

    private final NetworkConfigurator network;

    @Activate
    public NetworkCommands(@Reference(name = "network") NetworkConfigurator network) {
        this.network = network;
    }

    @Command("resetnetwork")
    public String resetNetwork(CommandContext context) throws IOException {
        String request = context == null ? "-" : context.requestId();
        // the data of the host that sent the request, from the exchange that carried it
        HostData hostData = context == null ? null : context.hostData().orElse(null);
        try {
            network.configure(request, guestNics -> {
                if (hostData == null) {
                    throw new NetworkConfigException(NO_HOST_DATA);
                }
                try {
                    return NetworkDataReader.read(hostData, guestNics);
                } catch (IOException e) {
                    throw new NetworkConfigException("Couldn't read the network data from the host: " + e.getMessage(), e);
                }
            });
        } catch (NetworkConfigException e) {
            throw new CommandException(e.getMessage(), e);
        }
        return "";
    }
}
