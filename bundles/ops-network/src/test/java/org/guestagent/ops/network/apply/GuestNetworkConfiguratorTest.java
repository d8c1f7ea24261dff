package org.guestagent.ops.network.apply;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.annotation.Annotation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

import org.guestagent.commands.network.spi.IpAddress;
import org.guestagent.commands.network.spi.NetInterface;
import org.guestagent.commands.network.spi.NetworkConfig;
import org.guestagent.ops.facts.system.SystemGuestFacts;
import org.guestagent.ops.network.NetworkConfigException;
import org.guestagent.ops.network.backends.DebianInterfacesBackend;
import org.guestagent.system.LocalGuestFiles;
import org.guestagent.system.RecordingSystemActions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The network-configuration operation fed by a source of no particular protocol. */
class GuestNetworkConfiguratorTest {

    @TempDir
    Path root;

    private record Settings(String backend) implements GuestNetworkConfigurator.Config {
        public Class<? extends Annotation> annotationType() {
            return GuestNetworkConfigurator.Config.class;
        }

        public boolean restart_networking() {
            return false;
        }

        public int command_timeout_seconds() {
            return 5;
        }

        public String backup_folder() {
            return "/var/lib/guest-agent/backup/network";
        }
    }

    private final RecordingSystemActions actions = new RecordingSystemActions(null);

    private GuestNetworkConfigurator configurator() {
        LocalGuestFiles files = new LocalGuestFiles(root);
        SystemGuestFacts facts = new SystemGuestFacts(files, actions);
        GuestNetworkConfigurator network = new GuestNetworkConfigurator(files, actions, facts, new GuestNicInventory(facts), new Settings(""));
        network.addBackend(new DebianInterfacesBackend(), Map.of());
        return network;
    }

    private void write(String guestPath, String text) throws IOException {
        Path path = root.resolve(guestPath.substring(1));
        Files.createDirectories(path.getParent());
        Files.writeString(path, text);
    }

    @Test
    void theSourceGetsTheGuestsNicsAndItsModelIsWritten() throws Exception {
        write("/etc/os-release", "ID=debian\nVERSION_ID=12\n");
        write("/sys/class/net/ens3/address", "52:54:00:12:34:56\n");
        AtomicReference<Map<String, String>> seen = new AtomicReference<>();
        configurator().configure("q-1", nics -> {
            seen.set(nics);
            NetInterface nic = new NetInterface(nics.get("52:54:00:12:34:56"), "52:54:00:12:34:56", "", List.of(new IpAddress("198.51.100.7", 24)),
                    List.of(), "198.51.100.1", null, List.of(), List.of("198.51.100.2"));
            return new NetworkConfig(Optional.of("vm7"), List.of(nic), nic.dns(), nics);
        });
        assertEquals(Map.of("52:54:00:12:34:56", "ens3"), seen.get());
        String interfaces = Files.readString(root.resolve("etc/network/interfaces"));
        assertTrue(interfaces.contains("iface ens3 inet static") && interfaces.contains("198.51.100.7"), interfaces);
        assertEquals("vm7\n", Files.readString(root.resolve("etc/hostname")));
        assertEquals(List.of("sethostname vm7"), actions.recorded());
    }

    @Test
    void anUnknownOsFailsBeforeTheSourceIsAsked() {
        AtomicReference<Object> asked = new AtomicReference<>();
        NetworkConfigException e = assertThrows(NetworkConfigException.class, () -> configurator().configure("q-2", nics -> {
            asked.set(nics);
            throw new NetworkConfigException("not reached");
        }));
        assertEquals(GuestNetworkConfigurator.UNKNOWN_OS, e.getMessage());
        assertNull(asked.get());
    }

    @Test
    void theSourcesOwnFailureComesThroughUnchanged() throws IOException {
        write("/etc/os-release", "ID=debian\n");
        NetworkConfigException mine = new NetworkConfigException("no data here");
        assertSame(mine, assertThrows(NetworkConfigException.class, () -> configurator().configure("q-3", nics -> {
            throw mine;
        })));
        assertEquals(List.of("run ifconfig -a"), actions.recorded(), "only the NICs were listed (no sysfs here)");
        assertTrue(Files.notExists(root.resolve("etc/network/interfaces")), "nothing written");
    }
}
