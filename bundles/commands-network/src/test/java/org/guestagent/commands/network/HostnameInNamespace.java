package org.guestagent.commands.network;

import java.nio.file.Path;
import java.util.List;

import org.guestagent.ops.network.backends.AllBackends;
import org.guestagent.ops.network.apply.GuestNetworkConfigurator;
import org.guestagent.ops.facts.system.SystemGuestFacts;
import org.guestagent.ops.facts.system.SysfsNics;
import org.guestagent.system.RealSystemActions;

/**
 * Run by {@link RealApplicationTest} in a child JVM under {@code unshare --uts}: the agent's
 * resetnetwork with the real system actions sets the hostname (networking restart off), then
 * prints what {@code hostname} reads back.
 */
public final class HostnameInNamespace {

    private HostnameInNamespace() {
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]);
        TestGuest guest = Scenario.apply("ipv4", new TestGuest(root).os("ID=debian\nVERSION_ID=12\n")).hostname("uts-test-host");
        RealSystemActions real = new RealSystemActions(() -> null);
        GuestNetworkConfigurator network = new GuestNetworkConfigurator(guest.files, real,
                new SystemGuestFacts(guest.files, real), () -> new SysfsNics(guest.files).byMac(), new TestGuest.ConfigValues("", false));
        AllBackends.create().forEach(b -> network.addBackend(b, java.util.Map.of()));
        NetworkCommands commands = new NetworkCommands(network);
        commands.resetNetwork(guest.request());
        System.out.println(real.run(List.of("hostname"), null, java.time.Duration.ofSeconds(10)).stdout().strip());
    }
}
