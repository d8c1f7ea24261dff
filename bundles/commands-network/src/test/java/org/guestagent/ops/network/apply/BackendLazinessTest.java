package org.guestagent.ops.network.apply;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.guestagent.api.system.GuestFiles;
import org.guestagent.ops.network.backends.AllBackends;
import org.guestagent.commands.network.spi.NetworkBackend;
import org.guestagent.commands.network.spi.OsRelease;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The backends of other systems are never got (so never activated): each built-in backend
 * publishes the os-release IDs it is for, and the chooser asks only those that may fit.
 */
class BackendLazinessTest {
    private static final List<String> SYSTEMS = List.of(
            "ID=debian\nVERSION_ID=12\n",
            "ID=ubuntu\nID_LIKE=debian\nVERSION_ID=\"16.04\"\n",
            "ID=ubuntu\nID_LIKE=debian\nVERSION_ID=\"22.04\"\n",
            "ID=linuxmint\nID_LIKE=\"ubuntu debian\"\nVERSION_ID=21\n",
            "ID=centos\nID_LIKE=\"rhel fedora\"\nVERSION_ID=7\n",
            "ID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"8.9\"\n",
            "ID=\"almalinux\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"9.3\"\n",
            "ID=fedora\nVERSION_ID=40\n",
            "ID=\"sles\"\nID_LIKE=\"suse\"\nVERSION_ID=\"15.5\"\n",
            "ID=\"opensuse-leap\"\nID_LIKE=\"suse opensuse\"\nVERSION_ID=\"15.5\"\n",
            "ID=opensuse-tumbleweed\nVERSION_ID=20240101\n",
            "ID=gentoo\n", "ID=arch\n", "ID=freebsd\nVERSION_ID=14.0\n", "ID=alpine\nVERSION_ID=3.19.0\n",
            "ID=nixos\n", "");

    @TempDir
    Path root;

    /** network.backend.os of each built-in backend, as bnd published it in ops-network's OSGI-INF (null: none). */
    private static Map<String, String> publishedOsIds() throws IOException {
        Map<String, String> ids = new HashMap<>();
        Pattern implementation = Pattern.compile("<implementation class=\"([^\"]+)\"");
        Pattern os = Pattern.compile("<property name=\"" + Pattern.quote(BackendChooser.OS_PROPERTY) + "\"[^>]*value=\"([^\"]*)\"");
        try (var files = Files.list(Path.of("../ops-network/target/classes/OSGI-INF"))) {
            for (Path xml : files.filter(f -> f.getFileName().toString().contains(".backends.")).toList()) {
                String text = Files.readString(xml);
                Matcher c = implementation.matcher(text);
                assertTrue(c.find(), xml.toString());
                Matcher o = os.matcher(text);
                ids.put(c.group(1), o.find() ? o.group(1) : null);
            }
        }
        return ids;
    }

    private GuestFiles guestWithEveryTool() throws IOException {
        for (String file : List.of("usr/sbin/netplan", "etc/netplan/50-cloud-init.yaml", "usr/bin/netctl", "lib/systemd/systemd-networkd")) {
            Files.createDirectories(root.resolve(file).getParent());
            Files.writeString(root.resolve(file), "");
        }
        return new org.guestagent.system.LocalGuestFiles(root);
    }

    @Test
    void thePublishedSystemsNeverHideABackendThatFits() throws IOException {
        Map<String, String> published = publishedOsIds();
        assertEquals(AllBackends.create().size(), published.size(), "every built-in backend has its component: " + published);
        GuestFiles files = guestWithEveryTool();
        for (NetworkBackend backend : AllBackends.create()) {
            String ids = published.get(backend.getClass().getName());
            Map<String, Object> properties = ids == null ? Map.of() : Map.of(BackendChooser.OS_PROPERTY, ids);
            BackendChooser.Entry entry = new BackendChooser.Entry(backend, () -> backend, properties);
            for (String system : SYSTEMS) {
                OsRelease os = OsRelease.parse(system);
                if (backend.match(os, files) > 0) {
                    assertTrue(entry.mayFit(os), backend.name() + " fits " + system + " but publishes only " + ids);
                }
            }
        }
        assertEquals(null, published.get("org.guestagent.ops.network.backends.SystemdNetworkdBackend"),
                "the fallback for any system is asked everywhere");
    }

    @Test
    void onADebianGuestOnlyTheBackendsThatMayFitAreGot() throws IOException {
        Map<String, String> published = publishedOsIds();
        BackendChooser chooser = new BackendChooser();
        TreeSet<String> got = new TreeSet<>();
        for (NetworkBackend backend : AllBackends.create()) {
            String ids = published.get(backend.getClass().getName());
            chooser.add(backend, () -> {
                got.add(backend.name());
                return backend;
            }, ids == null ? Map.of() : Map.of(BackendChooser.OS_PROPERTY, ids));
        }
        NetworkBackend chosen = chooser.choose(OsRelease.parse("ID=debian\nVERSION_ID=12\n"), guestWithEveryTool(), "").orElseThrow();
        assertEquals("netplan", chosen.name(), "netplan is in use on this guest");
        assertEquals(new TreeSet<>(List.of("debian", "netplan", "systemd-networkd")), got);
        assertEquals(List.copyOf(got), chooser.names());
        assertFalse(chooser.remove(new Object()).isPresent());
    }
}
