package org.guestagent.commands.network;

import java.nio.file.Path;
import java.util.List;

import org.guestagent.commands.network.backends.AllBackends;
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
        NetworkCommands commands = new NetworkCommands(guest.files, real,
                new SysfsNicInventory(guest.files), new TestGuest.ConfigValues("", false));
        AllBackends.create().forEach(b -> commands.addBackend(b, java.util.Map.of()));
        commands.resetNetwork(guest.request());
        System.out.println(real.run(List.of("hostname"), null, java.time.Duration.ofSeconds(10)).stdout().strip());
    }
}
