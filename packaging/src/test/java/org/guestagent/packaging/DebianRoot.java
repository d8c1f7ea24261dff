package org.guestagent.packaging;

import static org.guestagent.packaging.Commands.ok;
import static org.guestagent.packaging.Commands.onPath;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;

/**
 * A minimal Debian root for the system tests: made by mmdebstrap from Debian's packages (with a
 * headless JDK and systemd) once, kept as a tarball in packaging/cache/ (so later runs need no
 * network), and unpacked afresh for each test. Needs root, mmdebstrap and unshare; skips the
 * test otherwise, or when the mirror cannot be reached.
 */
final class DebianRoot {
    static final String SUITE = "bookworm";
    static final String INCLUDE = "default-jre-headless,systemd,systemd-sysv,init-system-helpers";

    private DebianRoot() {
    }

    static Path make() throws Exception {
        assumeTrue(Commands.isRoot(), "needs root (chroot, mounts)");
        assumeTrue(onPath("mmdebstrap") && onPath("unshare"), "mmdebstrap is missing (scripts/install-test-deps.sh installs it)");
        Path cache = Path.of(System.getProperty("guestagent.packaging.cache"));
        Files.createDirectories(cache);
        Path tarball = cache.resolve(SUITE + "-" + Integer.toHexString(INCLUDE.hashCode()) + ".tar.gz");
        if (!Files.isRegularFile(tarball)) {
            Path partial = cache.resolve(tarball.getFileName() + ".partial.tar.gz");
            String mirror = System.getenv().getOrDefault("GUEST_AGENT_DEBIAN_MIRROR", "http://deb.debian.org/debian");
            Commands.Result made = Commands.run(List.of("mmdebstrap", "--variant=apt", "--include=" + INCLUDE, SUITE,
                    partial.toString(), mirror), 1200);
            assumeTrue(made.code() == 0, "mmdebstrap could not make a Debian root (no access to " + mirror + "?):\n" + tail(made.out()));
            Files.move(partial, tarball, StandardCopyOption.ATOMIC_MOVE);
        }
        Path root = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "debian-root");
        ok(600, "tar", "-C", root.toString(), "-xzf", tarball.toString());
        // as in any chroot: maintainer scripts must not start services here
        Path policy = root.resolve("usr/sbin/policy-rc.d");
        Files.writeString(policy, "#!/bin/sh\nexit 101\n");
        ok(10, "chmod", "755", policy.toString());
        return root;
    }

    static void remove(Path root) throws Exception {
        if (root != null) {
            Commands.run(List.of("rm", "-rf", "--one-file-system", root.toString()), 300);
        }
    }

    /** Runs a shell command in the root, with /proc and /dev mounted in a namespace of its own; fails the test if it fails. */
    static String chroot(Path root, String script) throws IOException, InterruptedException {
        String r = root.toString();
        List<String> command = List.of("unshare", "--mount", "--pid", "--fork", "sh", "-c",
                "mount -t proc proc '" + r + "/proc' && mount --rbind /dev '" + r + "/dev' && exec chroot '" + r + "' /bin/sh -c \"$0\"",
                script);
        Commands.Result result = Commands.run(command, Map.of("DEBIAN_FRONTEND", "noninteractive", "LC_ALL", "C.UTF-8",
                "PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"), 600);
        assertEquals(0, result.code(), "in the Debian root: " + script + "\n" + result.out());
        return result.out();
    }

    static String tail(String text) {
        return text.length() > 3000 ? text.substring(text.length() - 3000) : text;
    }
}
