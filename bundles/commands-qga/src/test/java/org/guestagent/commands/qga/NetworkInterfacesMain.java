package org.guestagent.commands.qga;

import java.util.Map;

import org.guestagent.api.command.CommandArgument;

/** Prints guest-network-get-interfaces' answer as the process sees it: run inside a network namespace. */
public final class NetworkInterfacesMain {
    private NetworkInterfacesMain() {
    }

    public static void main(String[] args) {
        System.out.println(new QgaNetworkCommands(new org.guestagent.ops.facts.system.SystemGuestFacts(
                new org.guestagent.system.LocalGuestFiles(java.nio.file.Path.of("/")), null, new org.guestagent.platform.JnaNativePlatform())).interfaces(CommandArgument.of(Map.of())));
    }
}
