package org.guestagent.commands.network;

import java.io.IOException;
import java.lang.annotation.Annotation;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

import org.guestagent.api.command.CommandContext;
import org.guestagent.ops.network.apply.GuestNicInventory;
import org.guestagent.ops.network.apply.GuestNetworkConfigurator;
import org.guestagent.ops.facts.system.SystemGuestFacts;
import org.guestagent.ops.facts.system.IfconfigNics;
import org.guestagent.api.hostdata.HostData;
import org.guestagent.ops.network.backends.AllBackends;
import org.guestagent.commands.network.spi.NetworkBackend;
import org.guestagent.system.LocalGuestFiles;
import org.guestagent.system.RecordingSystemActions;

/** A guest in a scratch folder: fake NICs in sysfs (or ifconfig output), an os-release, host data in a map. */
final class TestGuest {

    final Path root;
    final LocalGuestFiles files;
    final CannedActions actions = new CannedActions();
    final Map<String, String> hostData = new LinkedHashMap<>();
    String backend = "";

    TestGuest(Path root) throws IOException {
        this.root = root;
        this.files = new LocalGuestFiles(root);
    }

    TestGuest nic(String name, String mac) throws IOException {
        Path dir = root.resolve("sys/class/net").resolve(name);
        Files.createDirectories(dir.resolve("device"));
        Files.writeString(dir.resolve("address"), mac + "\n");
        return this;
    }

    /** What {@code ifconfig -a} prints on this guest (for a guest without sysfs). */
    TestGuest ifconfig(String output) {
        actions.stdout.put(IfconfigNics.COMMAND, output);
        return this;
    }

    TestGuest file(String guestPath, String content) throws IOException {
        Path path = root.resolve(guestPath.substring(1));
        Files.createDirectories(path.getParent());
        Files.writeString(path, content);
        return this;
    }

    TestGuest os(String osRelease) throws IOException {
        return file("/etc/os-release", osRelease);
    }

    TestGuest hostname(String hostname) {
        hostData.put(NetworkDataReader.HOSTNAME_PATH, hostname);
        return this;
    }

    TestGuest interfaceNode(String node, String json) {
        hostData.put(NetworkDataReader.NETWORKING_PATH + "/" + node, json);
        return this;
    }

    NetworkCommands commands() {
        return commands(AllBackends.create());
    }

    NetworkCommands commands(List<NetworkBackend> backends) {
        return new NetworkCommands(network(backends));
    }

    /** The network-configuration operation on this guest, with these backends. */
    GuestNetworkConfigurator network(List<NetworkBackend> backends) {
        SystemGuestFacts facts = new SystemGuestFacts(files, actions);
        GuestNetworkConfigurator network = new GuestNetworkConfigurator(files, actions, facts,
                new GuestNicInventory(facts), config(backend));
        backends.forEach(b -> network.addBackend(b, Map.of()));
        return network;
    }

    String resetNetwork() throws IOException {
        return commands().resetNetwork(request());
    }

    /** A request whose exchange carries this guest's host data. */
    CommandContext request() {
        return CommandContext.of("test-request", null, "nova-json", new MapHostData(hostData));
    }

    String read(String guestPath) throws IOException {
        return Files.readString(root.resolve(guestPath.substring(1)));
    }

    /** Every regular file below the root, guest path to content. */
    Map<String, String> tree() throws IOException {
        Map<String, String> tree = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path path : walk.filter(Files::isRegularFile).toList()) {
                tree.put("/" + root.relativize(path), Files.readString(path, StandardCharsets.UTF_8));
            }
        }
        return tree;
    }

    static GuestNetworkConfigurator.Config config(String backend) {
        return new ConfigValues(backend, true);
    }

    /** The component configuration with test values. */
    record ConfigValues(String backend, boolean restart_networking) implements GuestNetworkConfigurator.Config {
        @Override
        public Class<? extends Annotation> annotationType() {
            return GuestNetworkConfigurator.Config.class;
        }

        @Override
        public int command_timeout_seconds() {
            return 20;
        }

        @Override
        public String backup_folder() {
            return "/var/lib/guest-agent/backup/network";
        }
    }

    /** Records every action like the agent's --root mode; some programs print canned output. */
    static final class CannedActions extends RecordingSystemActions {
        final Map<List<String>, String> stdout = new LinkedHashMap<>();

        CannedActions() {
            super(null);
        }

        @Override
        public ExecResult run(List<String> command, byte[] input, Duration timeout) throws IOException {
            super.run(command, input, timeout);
            return new ExecResult(0, stdout.getOrDefault(command, ""), "");
        }
    }

    /** Host data from a map; children are the keys one level below a path. */
    static final class MapHostData implements HostData {
        private final Map<String, String> values;

        MapHostData(Map<String, String> values) {
            this.values = values;
        }

        /** Named as on XenStore, as the messages of nova's hosts have it. */
        @Override
        public String where(String path) {
            return "vm-data/" + path;
        }

        @Override
        public Optional<String> read(String path) {
            return Optional.ofNullable(values.get(path));
        }

        @Override
        public List<String> children(String path) {
            List<String> children = new ArrayList<>();
            for (String key : values.keySet()) {
                if (key.startsWith(path + "/")) {
                    String child = key.substring(path.length() + 1).split("/")[0];
                    if (!children.contains(child)) {
                        children.add(child);
                    }
                }
            }
            return children;
        }
    }
}
