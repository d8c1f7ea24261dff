package org.guestagent.packaging;

import static org.guestagent.packaging.Commands.deb;
import static org.guestagent.packaging.Commands.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The .deb in a minimal Debian root made by mmdebstrap from Debian's packages (with a headless
 * JDK and systemd; made once and kept as a tarball in packaging/cache/, so later runs need no
 * network): {@code apt-get install ./guest-agent_….deb} inside it (chroot, with /proc and /dev
 * in a private mount namespace), {@code guest-agent --version}, a start with {@code --root} from
 * the installed files (which the agent's trust checks accept), an upgrade to a rebuilt package
 * that keeps a locally edited configuration file, and a purge that leaves no file behind.
 * Needs root, mmdebstrap and unshare; skips otherwise.
 */
class DebianInstallSystemTest {
    /** What dpkg and apt keep about their own work: not the package's files. */
    private static final List<String> BOOKKEEPING = List.of("/var/lib/dpkg/", "/var/lib/apt/", "/var/cache/apt/",
            "/var/cache/debconf/", "/var/log/", "/tmp/", "/root/", "/etc/ld.so.cache");

    private Path root;

    @BeforeEach
    void debianRoot() throws Exception {
        root = DebianRoot.make();
    }

    @AfterEach
    void removeRoot() throws Exception {
        DebianRoot.remove(root);
    }

    @Test
    void installRunUpgradeKeepingLocalEditsAndPurgeLeavingNothing() throws Exception {
        Set<String> before = files();
        Files.copy(deb(), root.resolve("tmp").resolve(deb().getFileName()));
        String install = chroot("cd /tmp && apt-get install -y ./" + deb().getFileName());
        assertTrue(install.contains("Setting up guest-agent (" + version() + "-1)"), install);
        assertTrue(install.contains("class data archive made"), "postinst made the class data archive:\n" + install);

        assertEquals("guest-agent " + version(), chroot("guest-agent --version").strip());
        assertTrue(Files.isRegularFile(root.resolve("usr/share/guest-agent/lib/guest-agent.jsa")), "the class data archive is in place");
        assertEquals("drwx------", chroot("stat -c %A /var/lib/guest-agent/deploy").strip());
        assertTrue(Files.isSymbolicLink(root.resolve("etc/systemd/system/multi-user.target.wants/guest-agent.service")), "the unit is enabled");

        // a start from the installed files, on a scratch root with the XenStore simulator; in one chroot
        // call, since the agent lives only as long as that call's process namespace
        String run = chroot("mkdir -p /tmp/guest && guest-agent --root /tmp/guest --features guest-agent-core,guest-agent-xen,guest-agent-dev,guest-agent-shell"
                + " && guest-agent shell --root /tmp/guest -c 'agent:call version'"
                + " && kill $(cat /tmp/guest/run/guest-agent/guest-agent.pid)"
                + " && while [ -e /tmp/guest/run/guest-agent/guest-agent.pid ]; do sleep 0.2; done; rm -rf /tmp/guest");
        assertTrue(run.contains("guest-agent: started, pid"), run);
        assertTrue(run.contains("\n0 " + version() + "\n"), "the installed agent answers version: " + run);

        // a local edit of one configuration file; the rebuilt package changes another one
        Path edited = root.resolve("etc/guest-agent/org.guestagent.launcher.cfg");
        Files.writeString(edited, Files.readString(edited) + "# local edit kept across upgrades\n");
        Path rebuilt = rebuild("2", "etc/guest-agent/org.guestagent.shell.cfg", "# changed by the new package\n");
        Files.copy(rebuilt, root.resolve("tmp").resolve(rebuilt.getFileName()));
        String upgrade = chroot("cd /tmp && apt-get install -y -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold ./"
                + rebuilt.getFileName());
        assertTrue(upgrade.contains("Unpacking guest-agent (" + version() + "-2) over (" + version() + "-1)"), upgrade);
        assertTrue(Files.readString(edited).endsWith("# local edit kept across upgrades\n"), "the local edit survived the upgrade");
        assertTrue(Files.readString(root.resolve("etc/guest-agent/org.guestagent.shell.cfg")).contains("# changed by the new package"),
                "an unedited configuration file takes the new package's version");
        assertEquals("guest-agent " + version(), chroot("guest-agent --version").strip());

        chroot("apt-get purge -y guest-agent");
        Set<String> after = files();
        Set<String> left = after.stream().filter(f -> !before.contains(f))
                .filter(f -> BOOKKEEPING.stream().noneMatch(f::startsWith)).collect(Collectors.toCollection(TreeSet::new));
        assertTrue(left.isEmpty(), "the purge left files behind: " + left);
        for (String gone : List.of("etc/guest-agent", "var/lib/guest-agent", "usr/share/guest-agent", "usr/share/doc/guest-agent",
                "etc/init.d/guest-agent", "lib/systemd/system/guest-agent.service")) {
            assertTrue(Files.notExists(root.resolve(gone)), gone + " is gone");
        }
    }

    /** The package rebuilt as revision {@code revision} with one file of it changed. */
    private Path rebuild(String revision, String file, String appended) throws Exception {
        Path tree = Files.createTempDirectory(root.getParent(), "deb-tree");
        try {
            ok(60, "dpkg-deb", "-R", deb().toString(), tree.toString());
            Path control = tree.resolve("DEBIAN/control");
            Files.writeString(control, Files.readString(control).replace("Version: " + version() + "-1", "Version: " + version() + "-" + revision));
            Path changed = tree.resolve(file);
            Files.writeString(changed, Files.readString(changed) + appended);
            Path md5sums = tree.resolve("DEBIAN/md5sums");
            String sum = ok(30, "md5sum", changed.toString()).out().split(" ")[0];
            Files.writeString(md5sums, Files.readAllLines(md5sums).stream()
                    .map(l -> l.endsWith("  " + file) ? sum + "  " + file : l).collect(Collectors.joining("\n", "", "\n")));
            Path built = root.getParent().resolve("guest-agent_" + version() + "-" + revision + "_all.deb");
            ok(120, "dpkg-deb", "--root-owner-group", "-Zgzip", "-b", tree.toString(), built.toString());
            return built;
        } finally {
            Commands.run(List.of("rm", "-rf", tree.toString()), 60);
        }
    }

    private String chroot(String script) throws IOException, InterruptedException {
        return DebianRoot.chroot(root, script);
    }

    /** Every file and folder of the Debian root (but /proc, /dev, /sys, /run), as absolute paths. */
    private Set<String> files() throws IOException {
        Set<String> all = new TreeSet<>();
        try (Stream<Path> walk = Files.walk(root)) {
            walk.map(p -> "/" + root.relativize(p))
                    .filter(p -> !p.startsWith("/proc/") && !p.startsWith("/dev/") && !p.startsWith("/sys/") && !p.startsWith("/run/"))
                    .forEach(all::add);
        }
        return all;
    }

    private static String version() {
        return System.getProperty("guestagent.version");
    }
}
