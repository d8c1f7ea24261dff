package org.guestagent.launcher;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The feature name {@value #AUTO} in a feature list: the pairs whose host channel this guest has.
 * {@code guest-agent-xen} where a XenStore transport exists (a xenbus device, {@code /proc/xen}, a xenstored
 * socket, or the simulator of the {@code guest-agent-dev} feature), {@code guest-agent-kvm} where the QEMU guest agent port
 * exists (or its exchange listens on a unix socket); both when both. When neither exists yet, both:
 * each exchange waits quietly for its channel, so the first one to appear is served.
 * Looks where the exchanges themselves look, as their configuration files in config/ say.
 */
final class HostChannels {
    static final String AUTO = "auto";
    static final String XEN = "guest-agent-xen";
    static final String KVM = "guest-agent-kvm";
    static final String XENSTORE_PID = "org.guestagent.exchange.xenstore";
    static final String VIRTIO_SERIAL_PID = "org.guestagent.exchange.virtioserial";
    /** What a Xen guest has: the xenbus devices and the xenfs capabilities file. */
    static final List<Path> XEN_DEVICES = List.of(Path.of("/dev/xen/xenbus"), Path.of("/proc/xen/xenbus"), Path.of("/proc/xen/capabilities"));
    static final Path XENSTORED_SOCKET = Path.of("/var/run/xenstored/socket");
    static final String QGA_PORT = "/dev/virtio-ports/org.qemu.guest_agent.0";

    private final Path configDir;
    private final Map<String, String> variables;
    private final Map<String, String> env;
    private final List<Path> xenDevices;
    private final Path defaultSocket;

    HostChannels(Path configDir, Map<String, String> variables, Map<String, String> env, List<Path> xenDevices, Path defaultSocket) {
        this.configDir = configDir;
        this.variables = variables;
        this.env = env;
        this.xenDevices = xenDevices;
        this.defaultSocket = defaultSocket;
    }

    /** Looks at this system's devices and sockets. */
    HostChannels(Path configDir, Map<String, String> variables) {
        this(configDir, variables, System.getenv(), XEN_DEVICES, XENSTORED_SOCKET);
    }

    /** The list with {@value #AUTO} replaced by the pairs found (at its place, without repeating a name already listed). */
    List<String> expand(List<String> features) throws ConfigException {
        if (!features.contains(AUTO)) {
            return features;
        }
        boolean xen = xenStoreExists() || features.contains("guest-agent-dev") || features.contains("dev");
        boolean kvm = qgaPortExists();
        List<String> pairs = xen == kvm ? List.of(XEN, KVM) : List.of(xen ? XEN : KVM);
        List<String> out = new ArrayList<>();
        for (String feature : features) {
            for (String name : feature.equals(AUTO) ? pairs : List.of(feature)) {
                if (!out.contains(name)) {
                    out.add(name);
                }
            }
        }
        return out;
    }

    /** As the XenStore exchange's transport setting chooses: a device, a socket, or (auto) either. */
    boolean xenStoreExists() throws ConfigException {
        Properties cfg = Settings.load(configDir.resolve(XENSTORE_PID + ".cfg"));
        String transport = setting(cfg, "transport", "auto");
        String device = setting(cfg, "device.path", "");
        List<Path> devices = device.isEmpty() ? xenDevices : List.of(Path.of(device));
        boolean deviceExists = devices.stream().anyMatch(Files::exists);
        boolean socketExists = sockets(setting(cfg, "socket.path", "")).stream().anyMatch(Files::exists);
        return switch (transport) {
            case "device" -> deviceExists;
            case "socket" -> socketExists;
            default -> deviceExists || socketExists;
        };
    }

    /** The QGA exchange listens on a socket of its own, or its virtio-serial port is there. */
    boolean qgaPortExists() throws ConfigException {
        Properties cfg = Settings.load(configDir.resolve(VIRTIO_SERIAL_PID + ".cfg"));
        if (setting(cfg, "mode", "virtio-serial").equals("unix-listen")) {
            return true;
        }
        return Files.exists(Path.of(setting(cfg, "path", QGA_PORT)));
    }

    private List<Path> sockets(String configured) {
        List<Path> sockets = new ArrayList<>();
        if (!configured.isEmpty()) {
            sockets.add(Path.of(configured));
        }
        String path = env.getOrDefault("XENSTORED_PATH", "");
        if (!path.isEmpty()) {
            sockets.add(Path.of(path));
        }
        String rundir = env.getOrDefault("XENSTORED_RUNDIR", "");
        if (!rundir.isEmpty()) {
            sockets.add(Path.of(rundir, "socket"));
        }
        sockets.add(defaultSocket);
        return sockets;
    }

    private String setting(Properties cfg, String key, String fallback) {
        String value = Settings.substitute(cfg.getProperty(key, "").trim(), variables);
        return value.isEmpty() ? fallback : value;
    }
}
