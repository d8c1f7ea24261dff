package org.guestagent.ops.facts.system;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import org.guestagent.api.system.GuestFiles;
import org.guestagent.ops.facts.Macs;

/**
 * Lists NICs from {@code /sys/class/net/<name>/address} below the guest root (the real sysfs on
 * a guest, a scratch folder in tests). Loopback and other all-zero addresses are left out; when
 * several interfaces share a MAC (VLANs, bond members), the one backed by a device wins.
 * {@link SystemGuestFacts} uses it where the guest has sysfs.
 */
public final class SysfsNics {

    private static final String NO_MAC = "00:00:00:00:00:00";
    private final GuestFiles files;

    public SysfsNics(GuestFiles files) {
        this.files = files;
    }

    /** MAC (lower case, colons) to interface name. */
    public Map<String, String> byMac() throws IOException {
        Path net = files.resolve("/sys/class/net");
        Map<String, String> byMac = new TreeMap<>();
        if (!Files.isDirectory(net)) {
            return byMac;
        }
        List<Path> entries;
        try (Stream<Path> list = Files.list(net)) {
            entries = list.sorted().toList();
        }
        for (Path entry : entries) {
            Path address = entry.resolve("address");
            if (!Files.isReadable(address)) {
                continue;
            }
            String mac = Macs.normalise(new String(Files.readAllBytes(address), StandardCharsets.US_ASCII));
            if (mac == null || mac.equals(NO_MAC)) {
                continue;
            }
            String name = entry.getFileName().toString();
            String earlier = byMac.get(mac);
            if (earlier == null || (!Files.exists(net.resolve(earlier).resolve("device")) && Files.exists(entry.resolve("device")))) {
                byMac.put(mac, name);
            }
        }
        return byMac;
    }
}
