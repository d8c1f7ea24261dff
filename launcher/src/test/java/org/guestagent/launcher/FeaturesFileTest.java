package org.guestagent.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

class FeaturesFileTest {
    private static final String XML = """
            <features name="t" xmlns="http://karaf.apache.org/xmlns/features/v1.6.0">
              <feature name="core" version="1">
                <bundle start-level="5">mvn:g/config/1</bundle>
                <bundle>mvn:g/api/1</bundle>
              </feature>
              <feature name="xen" version="1">
                <feature>core</feature>
                <bundle>mvn:g/xen/1</bundle>
              </feature>
              <feature name="shell" version="1">
                <feature>core</feature>
                <bundle>mvn:g/shell/1</bundle>
                <bundle>mvn:g/api/1</bundle>
              </feature>
              <feature name="loop" version="1"><feature>loop</feature></feature>
            </features>
            """;

    private static FeaturesFile parse(String xml) throws ConfigException {
        return FeaturesFile.parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)), "test.xml");
    }

    @Test
    void includedFeaturesComeFirstAndEachBundleOnce() throws Exception {
        List<FeaturesFile.BundleRef> bundles = parse(XML).bundlesOf(List.of("xen", "shell"));
        assertEquals(List.of(
                new FeaturesFile.BundleRef("mvn:g/config/1", 5),
                new FeaturesFile.BundleRef("mvn:g/api/1", 0),
                new FeaturesFile.BundleRef("mvn:g/xen/1", 0),
                new FeaturesFile.BundleRef("mvn:g/shell/1", 0)), bundles);
    }

    /** Karaf's start="false": installed, not started (the shell's bundles, which the shell listener starts). */
    @Test
    void startFalseInstallsWithoutStarting() throws Exception {
        FeaturesFile file = parse("""
                <features xmlns="http://karaf.apache.org/xmlns/features/v1.6.0"><feature name="a">
                  <bundle start="false" start-level="30">mvn:g/lazy/1</bundle>
                  <bundle start="true">mvn:g/eager/1</bundle>
                </feature></features>
                """);
        assertEquals(List.of(new FeaturesFile.BundleRef("mvn:g/lazy/1", 30, false), new FeaturesFile.BundleRef("mvn:g/eager/1", 0, true)),
                file.bundlesOf(List.of("a")));
    }

    @Test
    void namesUnknownAndLoopingFeatures() throws Exception {
        FeaturesFile file = parse(XML);
        ConfigException unknown = assertThrows(ConfigException.class, () -> file.bundlesOf(List.of("kvm")));
        assertEquals("unknown feature 'kvm' (known: core, xen, shell, loop)", unknown.getMessage());
        assertEquals("feature 'loop' includes itself", assertThrows(ConfigException.class, () -> file.bundlesOf(List.of("loop"))).getMessage());
    }

    @Test
    void rejectsBrokenXmlAndStartLevels() {
        assertTrue(assertThrows(ConfigException.class, () -> parse("<features>")).getMessage().startsWith("features file test.xml is not valid XML"));
        assertTrue(assertThrows(ConfigException.class, () -> parse("<features><feature name='a'><bundle start-level='x'>mvn:a/b/1</bundle></feature></features>"))
                .getMessage().contains("bad start-level 'x'"));
    }

    /** The descriptor the build ships: every feature resolves and core starts ConfigAdmin before FileInstall. */
    @Test
    void shippedDescriptorResolves() throws Exception {
        Path shipped = Path.of("../features/target/feature/features.xml");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(shipped), "features module not built yet");
        FeaturesFile file = FeaturesFile.read(shipped);
        assertTrue(file.names().containsAll(List.of("guest-agent-core", "guest-agent-xen", "guest-agent-kvm", "guest-agent-dev", "guest-agent-shell", "guest-agent-console")), file.names().toString());
        List<FeaturesFile.BundleRef> core = file.bundlesOf(List.of("guest-agent-core"));
        int configAdmin = level(core, "org.apache.felix.configadmin");
        int fileInstall = level(core, "org.apache.felix.fileinstall");
        assertTrue(configAdmin < fileInstall, "ConfigAdmin must start before FileInstall");
        for (FeaturesFile.BundleRef ref : file.bundlesOf(List.copyOf(file.names()))) {
            assertTrue(!ref.url().contains("${"), "unfiltered version in " + ref.url());
        }
        // the shell is loaded only while used: its listener starts, Gogo and the shell commands do not
        for (FeaturesFile.BundleRef ref : file.bundlesOf(List.of("guest-agent-shell"))) {
            boolean onDemand = ref.url().contains("/org.apache.felix.gogo.") || ref.url().startsWith("mvn:org.guestagent/shell/");
            assertEquals(!onDemand, ref.start(), ref.url());
        }
    }

    private static int level(List<FeaturesFile.BundleRef> refs, String artifact) {
        return refs.stream().filter(r -> r.url().contains("/" + artifact + "/")).findFirst().orElseThrow().startLevel();
    }
}
