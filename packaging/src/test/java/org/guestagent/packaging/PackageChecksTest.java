package org.guestagent.packaging;

import static org.guestagent.packaging.Commands.deb;
import static org.guestagent.packaging.Commands.ok;
import static org.guestagent.packaging.Commands.onPath;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The built .deb and .rpm as the distributions' own tools see them: contents and ownership
 * (dpkg-deb, rpm -qp), configuration files kept on upgrade (conffiles, %config(noreplace)),
 * dependencies, maintainer scripts and triggers, lintian with no errors and only the warnings
 * the README justifies, and systemd-analyze verify on the unit.
 */
class PackageChecksTest {
    private static final Path DIST = Path.of(System.getProperty("guestagent.dist"));
    private static final String HOME = "/usr/share/guest-agent";

    @TempDir
    Path scratch;

    @Test
    void debHoldsTheWholeDistributionOwnedByRootAndNotWritableByOthers() throws Exception {
        assumeTrue(onPath("dpkg-deb"), "dpkg-deb is missing");
        String listing = ok(60, "dpkg-deb", "--contents", deb().toString()).out();
        Set<String> paths = new TreeSet<>();
        for (String line : listing.split("\n")) {
            String[] f = line.trim().split("\\s+", 6);
            String path = f[5].replaceFirst(" -> .*", "").replaceFirst("^\\./", "/").replaceFirst("/$", "");
            paths.add(path);
            assertEquals("root/root", f[1], "owner of " + path);
            if (!f[0].startsWith("l")) {
                assertEquals('-', f[0].charAt(5), "group-writable: " + line);
                assertEquals('-', f[0].charAt(8), "writable by others: " + line);
            }
        }
        for (String part : List.of("bundles", "lib", "features", "bin")) {
            try (Stream<Path> files = Files.list(DIST.resolve(part))) {
                files.map(f -> f.getFileName().toString()).filter(n -> !n.endsWith(".jsa"))
                        .forEach(n -> assertTrue(paths.contains(HOME + "/" + part + "/" + n), part + "/" + n + " is packaged"));
            }
        }
        try (Stream<Path> files = Files.list(DIST.resolve("config"))) {
            files.forEach(f -> assertTrue(paths.contains("/etc/guest-agent/" + f.getFileName()), "config/" + f.getFileName() + " in /etc/guest-agent"));
        }
        for (String expected : List.of("/usr/sbin/guest-agent", "/usr/bin/guest-agent-client", HOME + "/config", HOME + "/deploy",
                "/lib/systemd/system/guest-agent.service", "/lib/udev/rules.d/60-guest-agent.rules", "/etc/init.d/guest-agent",
                "/etc/logrotate.d/guest-agent", "/usr/share/doc/guest-agent/copyright")) {
            assertTrue(paths.contains(expected), expected + " is packaged: " + paths);
        }
        assertTrue(listing.contains("./usr/sbin/guest-agent -> ../share/guest-agent/bin/guest-agent"), listing);
        assertTrue(listing.contains(HOME.substring(1) + "/config -> /etc/guest-agent"), listing);
        assertTrue(listing.contains(HOME.substring(1) + "/deploy -> /var/lib/guest-agent/deploy"), listing);
    }

    @Test
    void debDeclaresJavaConffilesScriptsAndTheJdkTrigger() throws Exception {
        assumeTrue(onPath("dpkg-deb"), "dpkg-deb is missing");
        assertEquals("default-jre-headless (>= 2:1.17) | java17-runtime-headless, init-system-helpers (>= 1.54~)",
                ok(30, "dpkg-deb", "--field", deb().toString(), "Depends").out().strip());
        Path control = scratch.resolve("control");
        ok(60, "dpkg-deb", "--control", deb().toString(), control.toString());
        List<String> conffiles = Files.readAllLines(control.resolve("conffiles"));
        try (Stream<Path> files = Files.list(DIST.resolve("config"))) {
            files.forEach(f -> assertTrue(conffiles.contains("/etc/guest-agent/" + f.getFileName()), f.getFileName() + " is a conffile: " + conffiles));
        }
        assertTrue(conffiles.containsAll(List.of("/etc/init.d/guest-agent", "/etc/logrotate.d/guest-agent")), conffiles.toString());
        assertTrue(Files.readString(control.resolve("triggers")).contains("interest-noawait /usr/lib/jvm"), "a JDK change triggers the package");
        String postinst = Files.readString(control.resolve("postinst"));
        assertTrue(postinst.contains("--make-cds") && postinst.contains("triggered)"), "postinst makes the class data archive, also when triggered");
        assertTrue(postinst.contains("deb-systemd-helper enable guest-agent.service"), "postinst enables the unit");
        assertTrue(Files.readString(control.resolve("prerm")).contains("deb-systemd-invoke stop guest-agent.service"), "prerm stops the unit");
        assertTrue(Files.readString(control.resolve("postrm")).contains("rm -rf /var/lib/guest-agent /etc/guest-agent"), "purge removes state and configuration");
    }

    @Test
    void lintianFindsNoErrorAndOnlyWarningsTheReadmeJustifies() throws Exception {
        assumeTrue(onPath("lintian"), "lintian is missing (scripts/install-test-deps.sh installs it)");
        Commands.Result result = Commands.run(List.of("lintian", "--tag-display-limit", "0", deb().toString()), 600);
        List<String> errors = new ArrayList<>();
        Set<String> warnings = new TreeSet<>();
        Matcher m = Pattern.compile("(?m)^([EW]): guest-agent[^:]*: (\\S+)").matcher(result.out());
        while (m.find()) {
            if (m.group(1).equals("E")) {
                errors.add(m.group(2));
            } else {
                warnings.add(m.group(2));
            }
        }
        assertTrue(errors.isEmpty(), "lintian errors: " + errors + "\n" + result.out());
        String readme = Files.readString(Commands.projectRoot().resolve("README.md"));
        List<String> unjustified = warnings.stream().filter(w -> !readme.contains("`" + w + "`")).toList();
        assertTrue(unjustified.isEmpty(), "lintian warnings the README does not justify: " + unjustified + "\n" + result.out());
    }

    @Test
    void rpmHoldsTheDistributionWithConfigNoreplaceJavaAndScripts() throws Exception {
        assumeTrue(onPath("rpm"), "rpm is missing (scripts/install-test-deps.sh installs it)");
        Path rpmDir = Path.of(System.getProperty("guestagent.rpm.dir"));
        assumeTrue(Files.isDirectory(rpmDir), "no .rpm built (rpmbuild was missing when the module was built)");
        Path rpm;
        try (Stream<Path> files = Files.list(rpmDir)) {
            rpm = files.filter(f -> f.toString().endsWith(".noarch.rpm")).findFirst().orElseThrow();
        }
        String files = ok(60, "rpm", "-qp", "--qf", "[%{FILEUSERNAME}:%{FILEGROUPNAME} %{FILEMODES:perms} %{FILEFLAGS:fflags}| %{FILENAMES}\\n]", rpm.toString()).out();
        List<String> lines = files.lines().toList();
        for (String line : lines) {
            assertTrue(line.startsWith("root:root "), "owned by root: " + line);
            String perms = line.split(" ")[1];
            if (!perms.startsWith("l")) {
                assertTrue(perms.charAt(5) == '-' && perms.charAt(8) == '-', "not writable by group or others: " + line);
            }
        }
        try (Stream<Path> config = Files.list(DIST.resolve("config"))) {
            config.forEach(f -> assertTrue(lines.stream().anyMatch(l -> l.endsWith("| /etc/guest-agent/" + f.getFileName())
                    && l.split("\\|")[0].matches(".* [^ ]*c[^ ]*n[^ ]*")), f.getFileName() + " is %config(noreplace):\n" + files));
        }
        try (Stream<Path> bundles = Files.list(DIST.resolve("bundles"))) {
            bundles.forEach(b -> assertTrue(files.contains("| " + HOME + "/bundles/" + b.getFileName() + "\n"), b.getFileName() + " is packaged"));
        }
        for (String expected : List.of("/usr/sbin/guest-agent", "/usr/lib/systemd/system/guest-agent.service",
                "/usr/lib/udev/rules.d/60-guest-agent.rules", "/var/lib/guest-agent/deploy", HOME + "/config")) {
            assertTrue(files.contains("| " + expected + "\n"), expected + " is packaged:\n" + files);
        }
        assertTrue(ok(30, "rpm", "-qp", "--requires", rpm.toString()).out().contains("java-17-openjdk-headless or java-21-openjdk-headless"),
                "needs a headless Java 17 or newer");
        String scripts = ok(30, "rpm", "-qp", "--scripts", rpm.toString()).out();
        assertTrue(scripts.contains("--make-cds"), "post makes the class data archive:\n" + scripts);
        assertTrue(scripts.contains("enable guest-agent.service"), "post enables the unit:\n" + scripts);
        assertTrue(scripts.contains("disable --now guest-agent.service"), "preun stops and disables it:\n" + scripts);
        assertTrue(scripts.contains("rm -rf /var/lib/guest-agent /etc/guest-agent"), "removal removes state and configuration:\n" + scripts);
        String triggers = ok(30, "rpm", "-qp", "--triggers", rpm.toString()).out();
        assertTrue(triggers.contains("java-17-openjdk-headless") && triggers.contains("--make-cds"), "a JDK change remakes the archive:\n" + triggers);
    }

    @Test
    void systemdAnalyzeVerifiesTheUnit() throws Exception {
        assumeTrue(onPath("systemd-analyze") && onPath("dpkg-deb"), "systemd-analyze is missing (Debian package systemd)");
        Path extracted = scratch.resolve("deb");
        ok(60, "dpkg-deb", "-x", deb().toString(), extracted.toString());
        // verify checks that ExecStart= exists on this machine: point it at the extracted program
        Path unit = scratch.resolve("guest-agent.service");
        Files.writeString(unit, Files.readString(extracted.resolve("lib/systemd/system/guest-agent.service"))
                .replace("ExecStart=" + HOME, "ExecStart=" + extracted.resolve(HOME.substring(1))));
        Commands.Result verify = Commands.run(List.of("systemd-analyze", "verify", unit.toString()), 120);
        assertEquals(0, verify.code(), "systemd-analyze verify:\n" + verify.out());
        assertEquals("", verify.out().strip(), "systemd-analyze verify says nothing about the unit");
        Commands.Result security = Commands.run(List.of("systemd-analyze", "security", "--offline=true", unit.toString()), 120);
        Matcher exposure = Pattern.compile("Overall exposure level for guest-agent.service: (\\d+\\.\\d)").matcher(security.out());
        if (exposure.find()) { // systemd 252 and later
            double level = Double.parseDouble(exposure.group(1));
            assertTrue(level <= 7.0, "the hardening directives bring the exposure below 7.0 (9.6 without them): " + level);
        }
        assertTrue(Files.readString(extracted.resolve("lib/udev/rules.d/60-guest-agent.rules"))
                .contains("ATTR{name}==\"org.qemu.guest_agent.0\", TAG+=\"systemd\", ENV{SYSTEMD_WANTS}+=\"guest-agent.service\""));
    }
}
