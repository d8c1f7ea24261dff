package org.guestagent.ops.facts.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.guestagent.ops.facts.GuestFacts;
import org.guestagent.system.LocalGuestFiles;
import org.guestagent.system.RecordingSystemActions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Guest facts from a scratch guest root (os-release, sysfs, ifconfig) and from the running kernel. */
class SystemGuestFactsTest {

    @TempDir
    Path root;

    /** Records like --root mode; {@code ifconfig -a} prints the given text. */
    private static final class Ifconfig extends RecordingSystemActions {
        private final String output;

        Ifconfig(String output) {
            super(null);
            this.output = output;
        }

        @Override
        public ExecResult run(List<String> command, byte[] input, Duration timeout) throws IOException {
            super.run(command, input, timeout);
            return new ExecResult(0, command.equals(IfconfigNics.COMMAND) ? output : "", "");
        }
    }

    private GuestFacts facts(String ifconfig) {
        return new SystemGuestFacts(new LocalGuestFiles(root), new Ifconfig(ifconfig));
    }

    private void write(String guestPath, String text) throws IOException {
        Path path = root.resolve(guestPath.substring(1));
        Files.createDirectories(path.getParent());
        Files.writeString(path, text);
    }

    @Test
    void osReleaseIsTheGuestRootsWithQuotesRemovedAndTheLibFileAsFallback() throws IOException {
        assertEquals(Map.of(), facts("").osRelease(), "a guest without os-release");
        write("/usr/lib/os-release", "ID=debian\n");
        assertEquals(Map.of("ID", "debian"), facts("").osRelease());
        write("/etc/os-release", "# comment\nNAME=\"Ubuntu\"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID='22.04'\nPRETTY_NAME=\"a \\\"b\\\"\"\n");
        Map<String, String> os = facts("").osRelease();
        assertEquals(List.of("NAME", "ID", "ID_LIKE", "VERSION_ID", "PRETTY_NAME"), List.copyOf(os.keySet()), "file order");
        assertEquals("Ubuntu", os.get("NAME"));
        assertEquals("22.04", os.get("VERSION_ID"));
        assertEquals("a \"b\"", os.get("PRETTY_NAME"));
    }

    @Test
    void nicsByMacComeFromSysfsBelowTheRootAndIfconfigWithout() throws IOException {
        String ifconfig = "xn0: flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> metric 0 mtu 1500\n\tether DE:AD:BE:EF:00:02\n"
                + "lo0: flags=8049<UP,LOOPBACK,RUNNING,MULTICAST> metric 0 mtu 16384\n\tinet 127.0.0.1 netmask 0xff000000\n";
        assertEquals(Map.of("de:ad:be:ef:00:02", "xn0"), facts(ifconfig).nicsByMac(), "no sysfs: ifconfig -a");

        write("/sys/class/net/eth0/address", "DE:AD:BE:EF:00:01\n");
        Files.createDirectories(root.resolve("sys/class/net/eth0/device"));
        write("/sys/class/net/eth0.7/address", "de:ad:be:ef:00:01\n"); // a VLAN on eth0: the device wins
        write("/sys/class/net/lo/address", "00:00:00:00:00:00\n");
        assertEquals(Map.of("de:ad:be:ef:00:01", "eth0"), facts(ifconfig).nicsByMac());
    }

    @Test
    void kernelAndHostnameAreTheRunningKernels() throws IOException {
        GuestFacts facts = facts("");
        assertEquals(Files.readString(Path.of("/proc/sys/kernel/hostname")).strip(), facts.hostname());
        GuestFacts.Kernel kernel = facts.kernel();
        assertEquals(Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip(), kernel.release());
        assertEquals(Files.readString(Path.of("/proc/sys/kernel/version")).strip(), kernel.version());
        assertFalse(kernel.machine().isBlank());
    }

    @Test
    void interfacesAreTheKernelsInIndexOrderWithIpv4First() throws IOException {
        List<GuestFacts.Nic> nics = facts("").interfaces();
        assertFalse(nics.isEmpty(), "the kernel has at least lo");
        for (int i = 1; i < nics.size(); i++) {
            assertTrue(nics.get(i - 1).index() < nics.get(i).index(), "index order: " + nics);
        }
        GuestFacts.Nic lo = nics.stream().filter(n -> n.name().equals("lo")).findFirst().orElseThrow();
        assertTrue(lo.addresses().contains(new GuestFacts.Address(false, "127.0.0.1", 8)), lo.toString());
        boolean seenIpv6 = false;
        for (GuestFacts.Address address : lo.addresses()) {
            assertFalse(seenIpv6 && !address.ipv6(), "IPv4 before IPv6: " + lo.addresses());
            seenIpv6 |= address.ipv6();
        }
        assertTrue(lo.counters().isPresent(), "lo has counters");
    }

    @Test
    void ipv6TextIsRfc5952() throws IOException {
        assertEquals("2001:db8::1", SystemGuestFacts.ipv6Text((Inet6Address) InetAddress.getByName("2001:db8:0:0:0:0:0:1")));
        assertEquals("2001:db8:0:1:1:1:1:1", SystemGuestFacts.ipv6Text((Inet6Address) InetAddress.getByName("2001:db8:0:1:1:1:1:1")));
        assertEquals("2001:0:0:1::1", SystemGuestFacts.ipv6Text((Inet6Address) InetAddress.getByName("2001:0:0:1:0:0:0:1")));
        assertEquals("::1", SystemGuestFacts.ipv6Text((Inet6Address) InetAddress.getByName("::1")));
        assertEquals("fe80::1", SystemGuestFacts.ipv6Text((Inet6Address) InetAddress.getByName("fe80::1%1")));
    }
}
