package org.guestagent.ops.facts.system;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InterfaceAddress;
import java.net.NetworkInterface;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import org.guestagent.api.platform.NativePlatform;
import org.guestagent.api.system.GuestFiles;
import org.guestagent.api.system.SystemActions;
import org.guestagent.ops.facts.GuestFacts;
import org.guestagent.ops.facts.Ipv6Text;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * Guest facts from the system: os-release and sysfs below the guest root (through the seam's
 * {@link GuestFiles}), {@code ifconfig -a} through the system actions where there is no sysfs, and
 * the running kernel's /proc and /sys for the live values.
 */
@Component(service = GuestFacts.class)
public final class SystemGuestFacts implements GuestFacts {

    static final String SYSFS_NET = "/sys/class/net";

    private final GuestFiles files;
    private final SysfsNics sysfs;
    private final IfconfigNics ifconfig;

    /** getifaddrs, for the addresses in the kernel's order; Java's own list where it is missing. */
    @Reference(name = "platform", cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile NativePlatform platform;

    @Activate
    public SystemGuestFacts(@Reference(name = "files") GuestFiles files, @Reference(name = "actions") SystemActions actions) {
        this.files = files;
        this.sysfs = new SysfsNics(files);
        this.ifconfig = new IfconfigNics(actions);
    }

    /** For tools and tests: with the given platform (or null). */
    public SystemGuestFacts(GuestFiles files, SystemActions actions, NativePlatform platform) {
        this(files, actions);
        this.platform = platform;
    }

    @Override
    public Map<String, String> osRelease() throws IOException {
        byte[] release = files.readIfExists("/etc/os-release");
        if (release == null) {
            release = files.readIfExists("/usr/lib/os-release");
        }
        return release == null ? Map.of() : OsReleaseText.parse(new String(release, StandardCharsets.UTF_8));
    }

    @Override
    public Kernel kernel() throws IOException {
        return new Kernel(kernelValue("osrelease"), kernelValue("version"), machine());
    }

    @Override
    public String hostname() throws IOException {
        return kernelValue("hostname");
    }

    /** Decided on each call, so a guest root prepared later still counts. */
    @Override
    public Map<String, String> nicsByMac() throws IOException {
        return Files.isDirectory(files.resolve(SYSFS_NET)) ? sysfs.byMac() : ifconfig.byMac();
    }

    /**
     * Every interface of /sys/class/net, up or down, as getifaddrs lists them, with the addresses
     * of getifaddrs (the platform bundle) or, without it, Java's (which leaves out interfaces that
     * are down, so it only supplies the addresses).
     */
    @Override
    public List<Nic> interfaces() throws IOException {
        record Link(String name, int index, String mac) {
        }
        List<Link> links = new ArrayList<>();
        try (Stream<Path> names = Files.list(Path.of(SYSFS_NET))) {
            for (Path folder : names.toList()) {
                try {
                    links.add(new Link(folder.getFileName().toString(),
                            Integer.parseInt(Files.readString(folder.resolve("ifindex")).strip()),
                            Files.readString(folder.resolve("address")).strip()));
                } catch (IOException | NumberFormatException e) {
                    // not an interface (bonding_masters) or gone meanwhile
                }
            }
        }
        links.sort(Comparator.comparingInt(Link::index));
        Map<String, List<Address>> known = platformAddresses();
        List<Nic> nics = new ArrayList<>();
        for (Link link : links) {
            List<Address> addresses = known != null ? known.getOrDefault(link.name(), List.of()) : javaAddresses(link.name());
            nics.add(new Nic(link.name(), link.index(), link.mac(), addresses, counters(link.name())));
        }
        return nics;
    }

    /**
     * Every interface's addresses from getifaddrs (through the platform bundle), in its order, as
     * qemu-ga lists them; null when the platform is not there.
     */
    private Map<String, List<Address>> platformAddresses() throws IOException {
        NativePlatform nativePlatform = platform;
        if (nativePlatform == null) {
            return null;
        }
        List<NativePlatform.InterfaceAddress> all;
        try {
            all = nativePlatform.interfaceAddresses();
        } catch (UnsupportedOperationException e) {
            return null;
        } catch (IllegalStateException e) {
            throw new IOException(e.getMessage(), e);
        }
        Map<String, List<Address>> byInterface = new LinkedHashMap<>();
        for (NativePlatform.InterfaceAddress a : all) {
            String text;
            try {
                InetAddress address = InetAddress.getByAddress(a.address());
                text = address instanceof Inet6Address v6 ? ipv6Text(v6) : address.getHostAddress();
            } catch (UnknownHostException e) {
                continue; // not 4 or 16 bytes: cannot be
            }
            byInterface.computeIfAbsent(a.interfaceName(), name -> new ArrayList<>()).add(new Address(a.ipv6(), text, a.prefixLength()));
        }
        return byInterface;
    }

    /**
     * The addresses Java knows (where the platform bundle is missing): IPv4 then IPv6, but not
     * always in the kernel's order (Java reads IPv6 addresses from /proc/net/if_inet6).
     */
    private static List<Address> javaAddresses(String name) {
        NetworkInterface nic;
        try {
            nic = NetworkInterface.getByName(name);
        } catch (IOException e) {
            nic = null;
        }
        List<Address> addresses = new ArrayList<>();
        for (boolean v4 : new boolean[] {true, false}) {
            for (InterfaceAddress a : nic == null ? List.<InterfaceAddress>of() : nic.getInterfaceAddresses()) {
                if ((a.getAddress() instanceof Inet4Address) != v4) {
                    continue;
                }
                addresses.add(new Address(!v4, v4 ? a.getAddress().getHostAddress() : ipv6Text((Inet6Address) a.getAddress()),
                        a.getNetworkPrefixLength()));
            }
        }
        return addresses;
    }

    /** RFC 5952 text (the longest run of zero groups as ::), without a scope, as inet_ntop writes it. */
    static String ipv6Text(Inet6Address address) {
        return Ipv6Text.of(address.getAddress());
    }

    /** The kernel's counters of the interface, or empty when it has none. */
    private static Optional<Counters> counters(String name) {
        Path folder = Path.of(SYSFS_NET, name, "statistics");
        String[] keys = { "rx_bytes", "rx_packets", "rx_errors", "rx_dropped", "tx_bytes", "tx_packets", "tx_errors", "tx_dropped" };
        long[] values = new long[keys.length];
        try {
            for (int i = 0; i < keys.length; i++) {
                values[i] = Long.parseLong(Files.readString(folder.resolve(keys[i])).strip());
            }
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
        return Optional.of(new Counters(values[0], values[1], values[2], values[3], values[4], values[5], values[6], values[7]));
    }

    /** A value of the running kernel from /proc/sys/kernel (hostname, osrelease, version). */
    private static String kernelValue(String name) throws IOException {
        try {
            return Files.readString(Path.of("/proc/sys/kernel", name)).strip();
        } catch (IOException e) {
            throw new IOException("cannot read the kernel's " + name + ": " + e.getMessage(), e);
        }
    }

    /** uname -m: the kernel's name of the machine, which Java's os.arch names differently. */
    private static String machine() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/arch")).strip();
        } catch (IOException e) {
            String arch = System.getProperty("os.arch");
            return switch (arch) {
                case "amd64" -> "x86_64";
                case "x86" -> "i686";
                default -> arch;
            };
        }
    }
}
