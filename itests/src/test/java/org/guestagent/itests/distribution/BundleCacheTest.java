package org.guestagent.itests.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

import org.guestagent.itests.robustness.AgentRun;
import org.guestagent.itests.robustness.HostSide;
import org.guestagent.itests.support.AgentBundles;
import org.guestagent.itests.support.ArtifactServer;
import org.guestagent.itests.support.Distribution;
import org.guestagent.itests.support.Json;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The framework's bundle cache is kept between starts (launcher's BundleCache): a restart keeps a
 * vendor bundle dropped into deploy/ and a bundle agentupdate installed, in the framework itself,
 * with no step that installs them again; a cache with a truncated file is rebuilt from the features
 * and the agent answers. Also: with FileInstall's poll at ten minutes, a jar dropped into deploy/ is
 * still installed at once, since the kernel's file notification wakes FileInstall.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class BundleCacheTest {
    private static final Duration LIMIT = Duration.ofSeconds(60);
    private static final String MARKER = "org.guestagent.itests.cache-marker";
    private static final String VENDOR = "org.guestagent.sample-commands";

    private Path scratch;
    private HostSide host;
    private AgentRun agent;
    private ArtifactServer server;

    @BeforeEach
    void start() throws Exception {
        scratch = AgentBundles.scratch("bundle-cache");
        host = HostSide.start(scratch, false);
        agent = AgentRun.copyInto(scratch);
        // ten minutes: within the test only the file notification can make FileInstall look at deploy/
        agent.configure("org.apache.felix.fileinstall-deploy", "felix.fileinstall.poll", "600000");
        agent.configure("org.guestagent.commands.update", "temp.dir", Files.createDirectories(scratch.resolve("downloads")).toString());
        agent.configure("org.guestagent.commands.update", "allow.http", "true"); // the artifact server speaks http
        server = new ArtifactServer();
    }

    @AfterEach
    void stop() throws Exception {
        if (agent != null) {
            agent.close();
        }
        if (server != null) {
            server.close();
        }
        if (host != null) {
            host.close();
        }
    }

    @Test
    void aRestartKeepsADroppedAndAnUpdateInstalledBundleWithoutInstallingThemAgain() throws Exception {
        agent.start("guest-agent-core,guest-agent-xen,guest-agent-shell", host.guestSocket());
        String version = host.call(Json.request("version", "\"agent\""), LIMIT);
        assertTrue(version.contains("\"0\""), version + "\n" + agent.diagnostics());

        Files.copy(AgentBundles.jar("itests/sample-commands").toPath(), agent.home().resolve("deploy/sample-commands.jar"));
        awaitAnswer(Json.request("sample_hello", "\"\""), Json.answer("0", "hello from vendor"));

        byte[] marker = markerBundle();
        String printed = agentupdate(server.serve("/marker-1.0.0.jar", marker), marker);
        assertEquals("0", printed, agent.diagnostics());
        Map<String, String> before = awaitBundles(b -> b.containsKey(MARKER) && b.containsKey(VENDOR));
        assertTrue(before.get(MARKER).contains("guestagent-update:"), "installed by agentupdate: " + before);
        assertTrue(before.get(VENDOR).contains("deploy/sample-commands.jar"), "installed from deploy/: " + before);

        assertNotNull(agent.terminate(), "the agent stops on SIGTERM\n" + agent.diagnostics());
        // nothing is left from which an update could be put back: the framework must have kept it
        deleteTree(agent.root().resolve("var/lib/guest-agent/updates"));
        long logBefore = Files.size(agent.logFile());

        agent.start("guest-agent-core,guest-agent-xen,guest-agent-shell", host.guestSocket());
        assertEquals(Json.answer("0", "hello from vendor"), host.call(Json.request("sample_hello", "\"\""), LIMIT), agent.diagnostics());
        Map<String, String> after = bundles();
        assertEquals(before.get(MARKER), after.get(MARKER), "the update's bundle is the same bundle (id, location, state)");
        assertEquals(before.get(VENDOR), after.get(VENDOR), "the dropped bundle is the same bundle (id, location, state)");
        String secondStart = logSince(logBefore);
        assertTrue(secondStart.contains("kept: 0 installed, 0 updated, 0 uninstalled"), "a warm start installs nothing:\n" + secondStart);
        assertFalse(secondStart.contains("Installing bundle"), "FileInstall installed a bundle again:\n" + secondStart);
        assertFalse(secondStart.contains("Recorded updates put back"), "updates were put back:\n" + secondStart);
    }

    @Test
    void aCacheWithATruncatedFileIsRebuiltAndTheAgentAnswers() throws Exception {
        agent.start(host.guestSocket());
        String version = host.call(Json.request("version", "\"agent\""), LIMIT);
        assertNotNull(agent.terminate(), "the agent stops on SIGTERM\n" + agent.diagnostics());
        Path cache = agent.root().resolve("var/lib/guest-agent/felix-cache");

        // a bundle's jar cut in half, as a full disk or a crash in the middle of a write leaves it
        Path jar;
        try (Stream<Path> files = Files.walk(cache)) {
            jar = files.filter(f -> f.getFileName().toString().equals("bundle.jar"))
                    .max(Comparator.comparingLong(BundleCacheTest::size)).orElseThrow();
        }
        truncateToHalf(jar);
        long logBefore = Files.size(agent.logFile());
        agent.start(host.guestSocket());
        assertEquals(version, host.call(Json.request("version", "\"agent\""), LIMIT), agent.diagnostics());
        String log = logSince(logBefore);
        assertTrue(log.contains("is rebuilt from the features: the cache lost bundle"), "the rebuild is logged:\n" + log);
        assertTrue(log.contains("made anew"), log);
        assertNotNull(agent.terminate(), "the agent stops on SIGTERM\n" + agent.diagnostics());

        // the launcher's own record cut short
        truncateToHalf(cache.resolve("guestagent-cache.properties"));
        logBefore = Files.size(agent.logFile());
        agent.start(host.guestSocket());
        assertEquals(version, host.call(Json.request("version", "\"agent\""), LIMIT), agent.diagnostics());
        log = logSince(logBefore);
        assertTrue(log.contains("is rebuilt from the features: guestagent-cache.properties is incomplete"), "the rebuild is logged:\n" + log);
    }

    private void awaitAnswer(String request, String expected) throws Exception {
        long deadline = System.nanoTime() + LIMIT.toNanos();
        String last = host.call(request, LIMIT);
        while (!last.equals(expected)) {
            if (System.nanoTime() > deadline) {
                fail("still " + last + " after " + LIMIT.toSeconds() + " s\n" + agent.diagnostics());
            }
            Thread.sleep(200);
            last = host.call(request, LIMIT);
        }
    }

    /** Symbolic name -> "id|state|location" of every bundle, from the shell's lb. */
    private Map<String, String> bundles() throws Exception {
        Distribution.Result r = Distribution.run(agent.home(), scratch, LIMIT, null, "bin/guest-agent", "shell",
                "--root", agent.root().toString(), "-c", "lb -l");
        Distribution.Result names = Distribution.run(agent.home(), scratch, LIMIT, null, "bin/guest-agent", "shell",
                "--root", agent.root().toString(), "-c", "lb -s");
        assertEquals(0, r.code(), r.toString());
        Map<Long, String> locations = new TreeMap<>();
        r.out().lines().map(l -> l.split("\\|")).filter(f -> f.length >= 4 && f[0].trim().matches("\\d+"))
                .forEach(f -> locations.put(Long.parseLong(f[0].trim()), f[0].trim() + "|" + f[1].trim() + "|" + f[3].trim()));
        Map<String, String> byName = new TreeMap<>();
        names.out().lines().map(l -> l.split("\\|")).filter(f -> f.length >= 4 && f[0].trim().matches("\\d+"))
                .forEach(f -> byName.put(f[3].trim().replaceAll(" \\(.*\\)$", ""), locations.get(Long.parseLong(f[0].trim()))));
        return byName;
    }

    private Map<String, String> awaitBundles(java.util.function.Predicate<Map<String, String>> ready) throws Exception {
        long deadline = System.nanoTime() + LIMIT.toNanos();
        Map<String, String> last = bundles();
        while (!ready.test(last)) {
            if (System.nanoTime() > deadline) {
                fail("bundles after " + LIMIT.toSeconds() + " s: " + last + "\n" + agent.diagnostics());
            }
            Thread.sleep(200);
            last = bundles();
        }
        return last;
    }

    private String logSince(long offset) throws IOException {
        String log = Files.readString(agent.logFile());
        return log.substring((int) Math.min(offset, log.length()));
    }

    /** A bundle with no code: enough to be installed, started and listed. */
    private static byte[] markerBundle() throws IOException {
        Manifest manifest = new Manifest();
        Attributes main = manifest.getMainAttributes();
        main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        main.putValue("Bundle-ManifestVersion", "2");
        main.putValue("Bundle-SymbolicName", MARKER);
        main.putValue("Bundle-Version", "1.0.0");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        new JarOutputStream(bytes, manifest).close();
        return bytes.toByteArray();
    }

    private String agentupdate(String url, byte[] jar) throws Exception {
        Path out = Files.createTempFile(scratch, "client", ".txt");
        ProcessBuilder builder = new ProcessBuilder(agent.home().resolve("bin/guest-agent-client").toString(),
                "agentupdate", url, HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(jar)))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true)
                .redirectOutput(out.toFile());
        builder.environment().put("XENSTORED_PATH", host.dom0Socket().toString());
        Process client = builder.start();
        if (!client.waitFor(LIMIT.toSeconds() + 30, TimeUnit.SECONDS)) {
            client.destroyForcibly();
            fail("guest-agent-client agentupdate did not finish");
        }
        String printed = Files.readString(out);
        assertEquals(0, client.exitValue(), "guest-agent-client agentupdate: " + printed + "\n" + agent.diagnostics());
        return printed.strip();
    }

    private static void truncateToHalf(Path file) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(f.length() / 2);
        }
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return 0;
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
