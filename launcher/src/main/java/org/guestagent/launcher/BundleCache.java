package org.guestagent.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import java.util.logging.Logger;

import org.apache.felix.framework.Felix;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.SynchronousBundleListener;
import org.osgi.framework.Version;
import org.osgi.framework.startlevel.BundleStartLevel;
import org.osgi.framework.wiring.BundleRevision;

/**
 * The framework's bundle cache, kept between starts as Karaf keeps its own: bundles installed or
 * updated while the agent ran (agentupdate, deploy/) are where they were at the next start, and
 * the features file is applied as a difference. Beside Felix's files the cache holds
 * {@value #RECORD}, written by the launcher: the framework and launcher that made the cache, every
 * bundle the cache holds (kept current while the agent runs), and for each bundle of the features
 * the shipped jar it was last compared with. A cache without that record, made by another framework
 * or launcher, or that lost a bundle (Felix silently drops an archive it cannot read, e.g. a
 * truncated jar) is made anew from the features, with a log line saying why.
 */
final class BundleCache implements SynchronousBundleListener {
    private static final Logger LOG = Logger.getLogger(BundleCache.class.getName());
    /** Not starting with "bundle": Felix takes every such entry of its cache folder for a bundle. */
    static final String RECORD = "guestagent-cache.properties";
    /** Raised when what the launcher keeps in the cache, or how, changes. */
    static final String FORMAT = "1";

    private final OwnFiles ownFiles;
    private final Path dir;
    private final String madeBy;
    /** location -> "sha256 size mtime" of the shipped jar last compared with the cached bundle */
    private final Map<String, String> shipped = new TreeMap<>();
    /** location -> the bundle's last-modified time when the launcher last put the shipped jar in */
    private final Map<String, Long> applied = new TreeMap<>();
    private BundleContext context;
    /** The cache held nothing at the start: new, or just emptied. */
    private boolean fresh;

    /** What one start changed. */
    record Changes(int installed, int updated, int uninstalled, int kept) {
    }

    private BundleCache(OwnFiles ownFiles, Path dir) {
        this.ownFiles = ownFiles;
        this.dir = dir;
        this.madeBy = "felix " + frameworkVersion() + ", launcher " + Main.version() + ", format " + FORMAT;
    }

    Path dir() {
        return dir;
    }

    /**
     * Opens the cache folder (never through a link). Returns the cache with its record when it can
     * be kept; otherwise empties the folder, logs why and returns an empty cache.
     */
    static BundleCache open(OwnFiles ownFiles, Path dir) throws IOException {
        ownFiles.folder(dir).close();
        BundleCache cache = new BundleCache(ownFiles, dir);
        String problem = cache.load();
        if (problem != null) {
            cache.rebuild(problem);
        } else if (cache.expectedBundles.isEmpty()) {
            cache.fresh = true;
        }
        return cache;
    }

    /** True when the cache held no bundle at the start: it is new, or was just emptied. */
    boolean isFresh() {
        return fresh;
    }

    /** id -> location of the bundles the record says the cache holds */
    private final Map<Long, String> expectedBundles = new TreeMap<>();

    /** Null when the record is there, readable, and made by this framework and launcher; else why not. */
    private String load() throws IOException {
        String text = read(dir.resolve(RECORD));
        if (text == null) {
            return hasBundles() ? "it has no " + RECORD : null;
        }
        Properties p = new Properties();
        try {
            p.load(new StringReader(text));
            if (!madeBy.equals(p.getProperty("made.by"))) {
                return "it was made by " + p.getProperty("made.by", "an unknown launcher") + ", this is " + madeBy;
            }
            for (String key : p.stringPropertyNames()) {
                String value = p.getProperty(key);
                if (key.startsWith("bundle.")) {
                    expectedBundles.put(Long.parseLong(key.substring("bundle.".length())), value);
                } else if (key.startsWith("shipped.")) {
                    shipped.put(key.substring("shipped.".length()), value);
                } else if (key.startsWith("applied.")) {
                    applied.put(key.substring("applied.".length()), Long.parseLong(value));
                }
            }
            if (!"end".equals(p.getProperty("end"))) {
                return RECORD + " is incomplete";
            }
        } catch (IllegalArgumentException e) { // NumberFormatException too
            return RECORD + " is unreadable (" + e.getMessage() + ")";
        }
        return null;
    }

    private boolean hasBundles() throws IOException {
        try (var entries = Files.list(dir)) {
            return entries.anyMatch(e -> e.getFileName().toString().startsWith("bundle"));
        }
    }

    /** Empties the cache folder (by handles, never following a link) and forgets the record. */
    void rebuild(String reason) throws IOException {
        LOG.warning("the bundle cache " + dir + " is rebuilt from the features: " + reason);
        ownFiles.deleteTree(dir);
        ownFiles.folder(dir).close();
        expectedBundles.clear();
        shipped.clear();
        applied.clear();
        fresh = true;
    }

    /**
     * After the framework's init: null when every bundle of the record came back from the cache
     * with its location, else what is missing (the cache must then be rebuilt).
     */
    String lostBundles(BundleContext context) {
        List<String> lost = new ArrayList<>();
        for (Map.Entry<Long, String> e : expectedBundles.entrySet()) {
            Bundle b = context.getBundle(e.getKey());
            if (b == null || !b.getLocation().equals(e.getValue())) {
                lost.add(e.getKey() + " (" + e.getValue() + ")");
            }
        }
        return lost.isEmpty() ? null : "the cache lost bundle " + String.join(", ", lost);
    }

    /**
     * Applies the features as a difference to what the cache holds: installs the bundles it lacks,
     * updates those whose shipped jar changed (unless an update put a newer version in place),
     * uninstalls the bundles of features no longer listed (only bundles the launcher installed:
     * never those of deploy/ or agentupdate), and sets start levels and the started flag where they
     * differ (a bundle marked start="false" is left stopped: something else starts it when needed). Unchanged shipped jars are only looked at (size and time), never read or copied.
     * Then records the result and keeps the record current while the agent runs.
     */
    Changes apply(BundleContext context, List<Agent.Install> plan) throws BundleException, IOException {
        this.context = context;
        int installed = 0;
        int updated = 0;
        int uninstalled = 0;
        Set<String> wanted = new LinkedHashSet<>();
        plan.forEach(i -> wanted.add(i.url()));
        for (String location : List.copyOf(shipped.keySet())) {
            if (!wanted.contains(location)) {
                Bundle gone = context.getBundle(location);
                if (gone != null) {
                    LOG.info("uninstalling " + gone.getSymbolicName() + " " + gone.getVersion() + ": its feature is no longer installed");
                    gone.uninstall();
                    uninstalled++;
                }
                shipped.remove(location);
                applied.remove(location);
            }
        }
        for (Agent.Install item : plan) {
            String location = item.url();
            Bundle bundle = context.getBundle(location);
            String stat = stat(item.jar());
            String last = shipped.get(location);
            if (bundle == null) {
                String sha;
                try (DigestInputStream in = digesting(item.jar())) {
                    bundle = context.installBundle(location, in);
                    sha = HexFormat.of().formatHex(in.getMessageDigest().digest());
                }
                shipped.put(location, sha + " " + stat);
                applied.put(location, bundle.getLastModified());
                installed++;
                LOG.fine(() -> "installed " + location);
            } else if (last == null || !last.endsWith(" " + stat)) {
                String sha = sha256(item.jar());
                if (last == null || !last.startsWith(sha + " ")) {
                    updated += replaceIfShippedWins(bundle, item.jar()) ? 1 : 0;
                }
                shipped.put(location, sha + " " + stat);
            }
            BundleStartLevel level = bundle.adapt(BundleStartLevel.class);
            if (level.getStartLevel() != item.startLevel()) {
                level.setStartLevel(item.startLevel());
            }
            if (!isFragment(bundle) && item.start() && !level.isPersistentlyStarted()) {
                bundle.start(); // takes effect when the framework reaches the bundle's level
            } else if (!isFragment(bundle) && !item.start() && level.isPersistentlyStarted()) {
                bundle.stop(); // started on demand (the shell's bundles), e.g. after a start with --console
            }
        }
        Changes changes = new Changes(installed, updated, uninstalled, plan.size() - installed - updated);
        if (installed + updated + uninstalled > 0 || !expectedBundles.equals(bundlesOf(context))) {
            save();
        }
        context.addBundleListener(this);
        return changes;
    }

    /**
     * The shipped jar changed (a new package of the agent): it replaces the cached bundle when the
     * launcher put that one in, or when the shipped version is at least the cached one; a newer
     * version put in place by agentupdate stays.
     */
    private boolean replaceIfShippedWins(Bundle bundle, Path jar) throws IOException, BundleException {
        String location = bundle.getLocation();
        Version offered = version(jar);
        Long ours = applied.get(location);
        boolean fromShipped = ours != null && ours == bundle.getLastModified();
        if (!fromShipped && offered.compareTo(bundle.getVersion()) < 0) {
            LOG.info("keeping " + bundle.getSymbolicName() + " " + bundle.getVersion() + " (put in place by an update) over the shipped "
                    + offered);
            return false;
        }
        LOG.info("updating " + bundle.getSymbolicName() + " " + bundle.getVersion() + " to the shipped " + offered + " (" + jar.getFileName() + ")");
        try (InputStream in = Files.newInputStream(jar)) {
            bundle.update(in);
        }
        applied.put(location, bundle.getLastModified());
        return true;
    }

    @Override
    public void bundleChanged(BundleEvent event) {
        int type = event.getType();
        if (type == BundleEvent.INSTALLED || type == BundleEvent.UNINSTALLED || type == BundleEvent.UPDATED) {
            try {
                save();
            } catch (IOException | RuntimeException e) {
                LOG.warning("cannot update " + dir.resolve(RECORD) + ": " + e.getMessage()
                        + "; the next start may rebuild the bundle cache");
            }
        }
    }

    /** Writes the record: what made the cache, the bundles it holds, the shipped jars compared with. */
    private synchronized void save() throws IOException {
        Map<Long, String> bundles = bundlesOf(context);
        Properties p = new Properties();
        p.setProperty("made.by", madeBy);
        bundles.forEach((id, location) -> p.setProperty("bundle." + id, location));
        shipped.forEach((location, value) -> p.setProperty("shipped." + location, value));
        applied.forEach((location, value) -> p.setProperty("applied." + location, Long.toString(value)));
        StringWriter out = new StringWriter();
        p.store(out, null);
        String body = out.toString().lines().filter(l -> !l.startsWith("#")).sorted().collect(Collectors.joining("\n", "", "\n"));
        // "end" comes last: a record cut short lacks it
        ownFiles.replace(dir.resolve(RECORD), "# The launcher's record of this bundle cache (see BundleCache); do not edit\n" + body + "end=end\n");
        expectedBundles.clear();
        expectedBundles.putAll(bundles);
    }

    private static Map<Long, String> bundlesOf(BundleContext context) {
        Map<Long, String> bundles = new TreeMap<>();
        for (Bundle b : context.getBundles()) {
            if (b.getBundleId() != 0 && b.getState() != Bundle.UNINSTALLED) {
                bundles.put(b.getBundleId(), b.getLocation());
            }
        }
        return bundles;
    }

    /** Size and modification time: what tells an unchanged shipped jar without reading it. */
    private static String stat(Path jar) throws IOException {
        BasicFileAttributes a = Files.readAttributes(jar, BasicFileAttributes.class);
        return a.size() + " " + a.lastModifiedTime().toMillis();
    }

    private static DigestInputStream digesting(Path jar) throws IOException {
        try {
            return new DigestInputStream(Files.newInputStream(jar), MessageDigest.getInstance("SHA-256"));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e); // every JDK has SHA-256
        }
    }

    private static String sha256(Path jar) throws IOException {
        try (DigestInputStream in = digesting(jar)) {
            in.transferTo(OutputStreamSink.INSTANCE);
            return HexFormat.of().formatHex(in.getMessageDigest().digest());
        }
    }

    /** Discards what is written: the digest is all that is wanted. */
    private static final class OutputStreamSink extends java.io.OutputStream {
        static final OutputStreamSink INSTANCE = new OutputStreamSink();

        @Override
        public void write(int b) {
        }

        @Override
        public void write(byte[] b, int off, int len) {
        }
    }

    private static Version version(Path jar) throws IOException {
        try (JarFile file = new JarFile(jar.toFile(), false)) {
            var manifest = file.getManifest();
            String v = manifest == null ? null : manifest.getMainAttributes().getValue(Constants.BUNDLE_VERSION);
            return v == null ? Version.emptyVersion : Version.parseVersion(v.trim());
        } catch (IllegalArgumentException e) {
            return Version.emptyVersion;
        }
    }

    private static boolean isFragment(Bundle b) {
        BundleRevision rev = b.adapt(BundleRevision.class);
        return rev != null && (rev.getTypes() & BundleRevision.TYPE_FRAGMENT) != 0;
    }

    /** Reads the record, never through a link; null when it is missing. */
    private static String read(Path file) throws IOException {
        try (SeekableByteChannel channel = Files.newByteChannel(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(channel.size() + 1, 16 * 1024 * 1024));
            while (buffer.hasRemaining() && channel.read(buffer) > 0) {
                // small file
            }
            return new String(buffer.array(), 0, buffer.position(), StandardCharsets.ISO_8859_1);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** The Bundle-Version of the Felix jar the launcher runs with. */
    private static String frameworkVersion() {
        try {
            Path jar = Path.of(Felix.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            try (JarFile file = new JarFile(jar.toFile(), false)) {
                return file.getManifest().getMainAttributes().getValue(Constants.BUNDLE_VERSION);
            }
        } catch (Exception e) {
            return "unknown";
        }
    }
}
