package org.guestagent.itests.build;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.guestagent.itests.support.AgentBundles;
import org.junit.jupiter.api.Test;

/**
 * Every bundle of ours that exports packages is baselined: it has a released jar committed in its
 * {@code baseline/} folder (the opt-in of the parent pom's "baseline" profile), and this build's bnd
 * baseline report names each package it exports, so a vendor bundle built against a package cannot
 * break because the package changed without the version bump its change needs.
 */
class ExportedPackagesBaselinedTest {
    private static final Pattern PACKAGE_NAME = Pattern.compile("(?:^|,)([A-Za-z_][\\w.]*)(?=;|,|$)");

    @Test
    void everyExportingBundleIsBaselinedByThisBuild() throws IOException {
        String version = System.getProperty("guestagent.version", "0.1.0");
        List<String> exporting = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        try (Stream<Path> modules = Files.list(AgentBundles.projectRoot().resolve("bundles"))) {
            for (Path module : modules.sorted().toList()) {
                String name = module.getFileName().toString();
                Path jar = module.resolve("target").resolve(name + "-" + version + ".jar");
                if (!Files.isRegularFile(jar)) {
                    continue;
                }
                List<String> exported = exportedPackages(jar);
                if (exported.isEmpty()) {
                    continue;
                }
                exporting.add(name);
                boolean committed;
                try (Stream<Path> files = Files.list(module.resolve("baseline"))) {
                    committed = files.anyMatch(f -> f.getFileName().toString().matches(
                            Pattern.quote(name) + "-.+\\.jar"));
                } catch (IOException noFolder) {
                    committed = false;
                }
                if (!committed) {
                    problems.add(name + " exports " + exported + " but has no baseline/" + name + "-<release>.jar");
                    continue;
                }
                Path report = module.resolve("target/baseline").resolve(name + "-" + version + ".txt");
                if (!Files.isRegularFile(report)
                        || Files.getLastModifiedTime(report).compareTo(Files.getLastModifiedTime(jar)) < 0) {
                    problems.add(name + ": the build did not baseline its jar (no fresh " + report + ")");
                    continue;
                }
                String text = Files.readString(report);
                for (String pkg : exported) {
                    if (!Pattern.compile("\\s" + Pattern.quote(pkg) + "\\s+PACKAGE\\s").matcher(text).find()) {
                        problems.add(name + ": package " + pkg + " is missing from the baseline report " + report);
                    }
                }
            }
        }
        assertFalse(exporting.isEmpty(), "no built bundle of ours exports a package: build the bundles first");
        assertTrue(exporting.contains("api") && exporting.contains("ops-network"),
                "the api and ops-network bundles export packages, found exporting only " + exporting);
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    private static List<String> exportedPackages(Path jar) throws IOException {
        try (JarFile file = new JarFile(jar.toFile())) {
            String header = file.getManifest().getMainAttributes().getValue("Export-Package");
            List<String> names = new ArrayList<>();
            if (header == null) {
                return names;
            }
            // drop quoted attribute values (uses:="a,b") so their commas do not look like packages
            Matcher m = PACKAGE_NAME.matcher(header.replaceAll("\"[^\"]*\"", "\"\""));
            while (m.find()) {
                names.add(m.group(1));
            }
            return names;
        }
    }
}
