package org.guestagent.itests.support;

import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.composite;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.junitBundles;
import static org.ops4j.pax.exam.CoreOptions.mavenBundle;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;

import org.ops4j.pax.exam.Option;

/**
 * The bundle sets the in-container tests boot: third-party bundles from the local Maven
 * repository, ours from the reactor's target folders (so a test always runs the code just built).
 */
public final class AgentBundles {
    private AgentBundles() {
    }

    /** The checkout's top folder (the surefire configuration passes it in). */
    public static Path projectRoot() {
        return Path.of(System.getProperty("guestagent.project.root", "..")).toAbsolutePath().normalize();
    }

    /** The jar our module built, e.g. {@code ours("bundles/core")}. */
    public static File jar(String module) {
        Path dir = projectRoot().resolve(module);
        String name = dir.getFileName() + "-" + System.getProperty("guestagent.version", "0.1.0") + ".jar";
        Path jar = dir.resolve("target").resolve(name);
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("Build " + module + " first: " + jar + " is missing");
        }
        return jar.toFile();
    }

    public static Option ours(String module) {
        return bundle(jar(module).toURI().toString());
    }

    /** Felix SCR, ConfigAdmin and what they need, plus JUnit for the probe. */
    public static Option runtime() {
        return composite(
                junitBundles(),
                mavenBundle("org.osgi", "org.osgi.util.function").versionAsInProject(),
                mavenBundle("org.osgi", "org.osgi.util.promise").versionAsInProject(),
                mavenBundle("org.osgi", "org.osgi.service.component").versionAsInProject(),
                mavenBundle("org.apache.felix", "org.apache.felix.configadmin").versionAsInProject(),
                mavenBundle("org.apache.felix", "org.apache.felix.scr").versionAsInProject(),
                mavenBundle("com.fasterxml.jackson.core", "jackson-core").versionAsInProject(),
                mavenBundle("com.fasterxml.jackson.core", "jackson-annotations").versionAsInProject(),
                mavenBundle("com.fasterxml.jackson.core", "jackson-databind").versionAsInProject(),
                systemProperty("org.ops4j.pax.logging.DefaultServiceLog.level").value("WARN"));
    }

    /** The system seam with what it needs: the platform bundle's file handles (JNA). */
    public static Option seam() {
        return composite(
                mavenBundle("net.java.dev.jna", "jna").versionAsInProject(),
                ours("bundles/system"),
                ours("bundles/platform"));
    }

    /** resetnetwork with the operations it uses: guest facts and network configuration (needs the seam). */
    public static Option network() {
        return composite(
                ours("bundles/ops-facts"),
                ours("bundles/ops-network"),
                ours("bundles/commands-network"));
    }

    /** Every built-in command set with the seam and the native platform, acting below the given root. */
    public static Option allCommands(Path root) {
        return composite(
                seam(),
                ours("bundles/ops-password"),
                ours("bundles/ops-files"),
                ours("bundles/ops-facts"),
                ours("bundles/ops-network"),
                ours("bundles/commands-password"),
                ours("bundles/commands-files"),
                ours("bundles/commands-network"),
                ours("bundles/commands-update"),
                ours("bundles/commands-kms"),
                frameworkProperty("guestagent.root").value(root.toString()));
    }

    /**
     * A scratch folder below target/, so test runs leave nothing in /tmp; below /tmp only where the
     * checkout's path is so long that sockets the tests make about 75 bytes below a scratch folder
     * would pass the 107 bytes a unix socket path may have.
     */
    public static Path scratch(String prefix) {
        try {
            Path target = projectRoot().resolve("itests/target/scratch");
            if (target.toString().length() > 32) {
                target = Path.of(System.getProperty("java.io.tmpdir"), "guest-agent-itests");
            }
            Files.createDirectories(target);
            return Files.createTempDirectory(target, prefix);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot make a scratch folder", e);
        }
    }

    /** The agent's foundation: API, core, the nova JSON parser and the misc commands. */
    public static Option foundation() {
        return composite(runtime(),
                ours("bundles/api"),
                ours("bundles/core"),
                ours("bundles/parser-nova-json"),
                ours("bundles/commands-misc"));
    }
}
