package org.guestagent.ops.facts;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Facts about the guest, for any protocol's adapter (QGA's {@code guest-get-osinfo},
 * {@code guest-get-host-name}, {@code guest-network-get-interfaces}) and for other operations
 * (resetnetwork matches the host's MACs to {@link #nicsByMac()}). Files of the guest (os-release,
 * sysfs for the MACs) are read below the guest root, so a scratch root in tests and demos shows
 * its own; facts of the running kernel (host name, kernel, live interfaces) are the kernel's.
 */
@ProviderType
public interface GuestFacts {

    /**
     * The KEY=value lines of os-release(5) below the guest root ({@code /etc/os-release}, else
     * {@code /usr/lib/os-release}), quotes removed, in file order; empty when there is none.
     */
    Map<String, String> osRelease() throws IOException;

    /**
     * The running kernel (uname -r, -v, -m).
     *
     * @throws IOException when the kernel cannot be read; the message names the value
     */
    Kernel kernel() throws IOException;

    /**
     * The live host name, the kernel's (as gethostname(2) gives it).
     *
     * @throws IOException when it cannot be read; the message says so
     */
    String hostname() throws IOException;

    /** Every interface the running kernel has, up or down, in index order. */
    List<Nic> interfaces() throws IOException;

    /**
     * The guest's NICs with a hardware address, MAC (lower case, colons) to interface name: from
     * sysfs below the guest root where there is one (Linux), else from {@code ifconfig -a}
     * (FreeBSD). Loopback and all-zero addresses are left out.
     */
    Map<String, String> nicsByMac() throws IOException;

    /** uname's release, version and machine (e.g. x86_64). */
    record Kernel(String release, String version, String machine) {
    }

    /**
     * One interface of the running kernel.
     *
     * @param mac       its hardware address as the kernel prints it, "" when it has none
     * @param addresses IPv4 addresses first, then IPv6, IPv6 in RFC 5952 text
     * @param counters  the kernel's counters, empty when it has none
     */
    record Nic(String name, int index, String mac, List<Address> addresses, Optional<Counters> counters) {
        public Nic {
            addresses = List.copyOf(addresses);
        }
    }

    /** One address of an interface with its prefix length. */
    record Address(boolean ipv6, String address, int prefix) {
    }

    /** The kernel's counters of an interface (what /proc/net/dev shows). */
    record Counters(long rxBytes, long rxPackets, long rxErrors, long rxDropped, long txBytes, long txPackets,
            long txErrors, long txDropped) {
    }
}
