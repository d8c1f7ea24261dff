package org.guestagent.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** "auto" in the feature list becomes the pairs whose host channel exists (both when both, or neither). */
class HostChannelsTest {
    @TempDir
    Path dir;
    private Path config;
    private Path xenbus;
    private Path port;

    @BeforeEach
    void config() throws Exception {
        config = Files.createDirectories(dir.resolve("config"));
        xenbus = dir.resolve("dev/xen/xenbus");
        port = dir.resolve("dev/virtio-ports/org.qemu.guest_agent.0");
        Files.writeString(config.resolve(HostChannels.VIRTIO_SERIAL_PID + ".cfg"), "mode = virtio-serial\npath = " + port + "\n");
    }

    private List<String> expand(Map<String, String> env, String... features) throws Exception {
        return new HostChannels(config, Map.of(), env, List.of(xenbus), dir.resolve("var/run/xenstored/socket")).expand(List.of(features));
    }

    private static void create(Path file) throws Exception {
        Files.createDirectories(file.getParent());
        Files.createFile(file);
    }

    @Test
    void eachPairWhereItsChannelExistsAndBothWhenBoth() throws Exception {
        assertEquals(List.of("guest-agent-core", "guest-agent-xen", "guest-agent-kvm", "guest-agent-shell"), expand(Map.of(), "guest-agent-core", "auto", "guest-agent-shell"), "neither yet: both wait");
        create(xenbus);
        assertEquals(List.of("guest-agent-core", "guest-agent-xen", "guest-agent-shell"), expand(Map.of(), "guest-agent-core", "auto", "guest-agent-shell"));
        create(port);
        assertEquals(List.of("guest-agent-core", "guest-agent-xen", "guest-agent-kvm", "guest-agent-shell"), expand(Map.of(), "guest-agent-core", "auto", "guest-agent-shell"));
        Files.delete(xenbus);
        assertEquals(List.of("guest-agent-core", "guest-agent-kvm", "guest-agent-shell"), expand(Map.of(), "guest-agent-core", "auto", "guest-agent-shell"));
    }

    @Test
    void aXenStoreSocketTheSimulatorOrAUnixListenSocketCount() throws Exception {
        Path socket = dir.resolve("xenstored.sock");
        assertEquals(List.of("guest-agent-core", "guest-agent-xen", "guest-agent-kvm"), expand(Map.of("XENSTORED_PATH", socket.toString()), "guest-agent-core", "auto"), "neither there");
        create(port);
        assertEquals(List.of("guest-agent-core", "guest-agent-kvm"), expand(Map.of("XENSTORED_PATH", socket.toString()), "guest-agent-core", "auto"), "a named socket that is not there");
        create(socket);
        assertEquals(List.of("guest-agent-core", "guest-agent-xen", "guest-agent-kvm"), expand(Map.of("XENSTORED_PATH", socket.toString()), "guest-agent-core", "auto"));
        Files.delete(socket);
        assertEquals(List.of("guest-agent-core", "guest-agent-xen", "guest-agent-kvm", "guest-agent-dev"), expand(Map.of(), "guest-agent-core", "auto", "guest-agent-dev"), "the simulator is a XenStore");
        Files.delete(port);
        Files.writeString(config.resolve(HostChannels.VIRTIO_SERIAL_PID + ".cfg"), "mode = unix-listen\npath = " + dir.resolve("qga.sock") + "\n");
        create(xenbus);
        assertEquals(List.of("guest-agent-core", "guest-agent-xen", "guest-agent-kvm"), expand(Map.of(), "guest-agent-core", "auto"), "a unix-listen socket is made by the agent");
        Files.writeString(config.resolve(HostChannels.XENSTORE_PID + ".cfg"), "transport = socket\n");
        assertEquals(List.of("guest-agent-core", "guest-agent-kvm"), expand(Map.of(), "guest-agent-core", "auto"), "transport socket ignores the device");
    }

    @Test
    void namedFeaturesStayAsTheyAre() throws Exception {
        assertEquals(List.of("guest-agent-core", "guest-agent-xen", "guest-agent-shell"), expand(Map.of(), "guest-agent-core", "guest-agent-xen", "guest-agent-shell"));
        create(port);
        assertEquals(List.of("guest-agent-core", "guest-agent-kvm", "guest-agent-shell"), expand(Map.of(), "guest-agent-core", "guest-agent-kvm", "auto", "guest-agent-shell"), "no name twice");
    }
}
