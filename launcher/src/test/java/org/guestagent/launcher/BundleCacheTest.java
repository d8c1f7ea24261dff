package org.guestagent.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

import org.apache.felix.framework.Felix;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.Version;

/** The features applied as a difference to a kept cache, on a real Felix. */
class BundleCacheTest {
    private static final String A = "mvn:test/a/1";
    private static final String B = "mvn:test/b/1";

    @TempDir
    Path dir;
    private Felix felix;
    private BundleCache cache;
    private long clock = 1_700_000_000_000L;

    @AfterEach
    void stop() throws Exception {
        if (felix != null) {
            felix.stop();
            felix.waitForStop(10_000);
            felix = null;
        }
    }

    /** Opens the cache and inits a framework on it, as the launcher does; null when it was kept. */
    private String init() throws Exception {
        stop();
        cache = BundleCache.open(new OwnFiles(null), dir.resolve("cache"));
        felix = new Felix(Map.of(Constants.FRAMEWORK_STORAGE, dir.resolve("cache").toString(),
                Constants.FRAMEWORK_STORAGE_CLEAN, "none"));
        felix.init();
        return cache.lostBundles(context());
    }

    private BundleCache.Changes apply(Agent.Install... plan) throws Exception {
        assertNull(init(), "the cache is kept");
        return cache.apply(context(), List.of(plan));
    }

    private BundleContext context() {
        return felix.getBundleContext();
    }

    /** Writes the shipped jar of a bundle; each write gets a later modification time, as a package upgrade. */
    private Agent.Install shipped(String location, String name, String version) throws IOException {
        Path jar = dir.resolve(name + ".jar");
        Files.write(jar, bundle(name, version));
        Files.setLastModifiedTime(jar, FileTime.fromMillis(clock += 60_000));
        return new Agent.Install(location, jar, 20, true);
    }

    private static byte[] bundle(String name, String version, String... headers) throws IOException {
        Manifest manifest = new Manifest();
        Attributes main = manifest.getMainAttributes();
        for (String header : headers) {
            main.putValue(header.substring(0, header.indexOf(':')), header.substring(header.indexOf(':') + 1).trim());
        }
        main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        main.putValue("Bundle-ManifestVersion", "2");
        main.putValue("Bundle-SymbolicName", name);
        main.putValue("Bundle-Version", version);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        new JarOutputStream(bytes, manifest).close();
        return bytes.toByteArray();
    }

    private boolean persistentlyStarted(String location) {
        return context().getBundle(location).adapt(org.osgi.framework.startlevel.BundleStartLevel.class).isPersistentlyStarted();
    }

    private Version version(String location) {
        Bundle b = context().getBundle(location);
        assertNotNull(b, location + " is installed");
        return b.getVersion();
    }

    @Test
    void aWarmStartChangesNothingAndANewerShippedJarReplacesTheCachedOne() throws Exception {
        assertEquals(new BundleCache.Changes(1, 0, 0, 0), apply(shipped(A, "a", "1.0.0")));
        assertTrue(cache.isFresh());
        long id = context().getBundle(A).getBundleId();

        BundleCache.Changes warm = apply(new Agent.Install(A, dir.resolve("a.jar"), 20, true));
        assertEquals(new BundleCache.Changes(0, 0, 0, 1), warm);
        assertFalse(cache.isFresh());
        assertEquals(id, context().getBundle(A).getBundleId(), "the same bundle, from the cache");

        assertEquals(new BundleCache.Changes(0, 1, 0, 0), apply(shipped(A, "a", "1.0.1")));
        assertEquals(Version.parseVersion("1.0.1"), version(A));
        // the same version rebuilt (other content) also wins: the launcher put the cached one in
        Files.write(dir.resolve("a.jar"), bundle("a", "1.0.1", "X-Build: 2"));
        Files.setLastModifiedTime(dir.resolve("a.jar"), FileTime.fromMillis(clock += 60_000));
        assertEquals(1, apply(new Agent.Install(A, dir.resolve("a.jar"), 20, true)).updated());
        assertEquals("2", context().getBundle(A).getHeaders().get("X-Build"));
    }

    @Test
    void aBundleStartedOnDemandIsLeftStoppedAndStoppedAgainWhenAStartWithConsoleHadStartedIt() throws Exception {
        Agent.Install onDemand = shipped(A, "a", "1.0.0");
        apply(new Agent.Install(A, onDemand.jar(), 20, false));
        assertFalse(persistentlyStarted(A), "start=false: not started by the launcher");
        apply(new Agent.Install(A, onDemand.jar(), 20, true)); // a start with --console
        assertTrue(persistentlyStarted(A));
        apply(new Agent.Install(A, onDemand.jar(), 20, false)); // the next ordinary start
        assertFalse(persistentlyStarted(A), "the kept cache does not keep it started");
    }

    @Test
    void aNewerVersionFromAnUpdateStaysUntilTheShippedOneIsNewer() throws Exception {
        apply(shipped(A, "a", "1.0.0"));
        // agentupdate: the bundle updated in place, and a bundle the features do not know
        context().getBundle(A).update(new ByteArrayInputStream(bundle("a", "2.0.0")));
        context().installBundle("guestagent-update:extra 1.0.0", new ByteArrayInputStream(bundle("extra", "1.0.0")));

        assertEquals(0, apply(shipped(A, "a", "1.5.0")).updated(), "an older shipped jar does not replace the update");
        assertEquals(Version.parseVersion("2.0.0"), version(A));
        assertEquals(1, apply(shipped(A, "a", "3.0.0")).updated());
        assertEquals(Version.parseVersion("3.0.0"), version(A));
        assertNotNull(context().getBundle("guestagent-update:extra 1.0.0"), "the update's own bundle stays");
    }

    @Test
    void bundlesOfFeaturesNoLongerListedGoButDroppedAndUpdateBundlesStay() throws Exception {
        Agent.Install a = shipped(A, "a", "1.0.0");
        apply(a, shipped(B, "b", "1.0.0"));
        Path dropped = dir.resolve("deploy-c.jar");
        Files.write(dropped, bundle("c", "1.0.0"));
        context().installBundle(dropped.toUri().toString(), Files.newInputStream(dropped));
        context().installBundle("guestagent-update:d 1.0.0", new ByteArrayInputStream(bundle("d", "1.0.0")));

        assertEquals(new BundleCache.Changes(0, 0, 1, 1), apply(a));
        assertNull(context().getBundle(B), "b's feature is gone");
        assertNotNull(context().getBundle(dropped.toUri().toString()), "the dropped bundle stays");
        assertNotNull(context().getBundle("guestagent-update:d 1.0.0"), "the update's bundle stays");
    }

    @Test
    void aTruncatedBundleOrRecordMakesTheCacheBeRebuilt() throws Exception {
        apply(shipped(A, "a", "1.0.0"), shipped(B, "b", "1.0.0"));
        stop();
        Path jar;
        try (Stream<Path> files = Files.walk(dir.resolve("cache"))) {
            jar = files.filter(f -> f.getFileName().toString().equals("bundle.jar")).findFirst().orElseThrow();
        }
        truncate(jar);
        String lost = init();
        assertNotNull(lost, "the lost bundle is noticed");
        stop(); // releases the cache, as the launcher does before rebuilding it
        cache.rebuild(lost);
        assertTrue(cache.isFresh());
        try (Stream<Path> files = Files.list(dir.resolve("cache"))) {
            assertEquals(List.of(), files.toList(), "the cache was emptied");
        }

        apply(shipped(A, "a", "1.0.0"));
        stop();
        truncate(dir.resolve("cache").resolve(BundleCache.RECORD));
        cache = BundleCache.open(new OwnFiles(null), dir.resolve("cache"));
        assertTrue(cache.isFresh(), "a record cut short makes the cache be rebuilt");
    }

    private static void truncate(Path file) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(f.length() / 2);
        }
    }
}
