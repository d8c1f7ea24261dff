package org.guestagent.launcher;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where everything is: the command line wins over {@code config/org.guestagent.launcher.cfg},
 * which wins over the defaults. Paths the agent writes for itself (state, run, log) live under
 * {@code --root} when given, under the system folders when running as root, and under
 * {@code <home>/data} for an ordinary user, so a demo never needs root.
 */
final class Settings {
    static final String LAUNCHER_PID = "org.guestagent.launcher";
    /** {@code auto}: the pairs whose host channel exists (see {@link HostChannels}). */
    static final List<String> DEFAULT_FEATURES = List.of("guest-agent-core", HostChannels.AUTO, "guest-agent-shell");
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([^}]+)}");

    final Path home;
    final Path configDir;
    final Path root;
    /** The agent's own files: never through a link, below --root checked from the root down. */
    final OwnFiles ownFiles;
    final Path stateDir;
    final Path runDir;
    final Path logFile;
    final Path pidFile;
    final Path deployDir;
    final Path featuresFile;
    final Path socket;
    final String logLevel;
    /** The group that may read the log file (0640), or null: only its owner (0600). */
    final String logGroup;
    final List<String> features;
    final int stopTimeoutSeconds;
    /** The signed-bundle mode's trust store (deploy/ and agentupdate take only jars it trusts), or null: mode off. */
    final Path trustStore;
    final String trustStorePassword;
    /** Variables usable in framework.properties and .cfg files, e.g. ${guestagent.home}. */
    final Map<String, String> variables = new LinkedHashMap<>();

    Settings(Options options, Path home, boolean superUser) throws ConfigException, UsageException {
        this.home = home;
        this.configDir = options.configDir != null ? options.configDir : home.resolve("config");
        if (!Files.isDirectory(configDir)) {
            throw new ConfigException("configuration folder " + configDir + " does not exist");
        }
        this.root = options.root != null ? options.root : Path.of("/");
        if (options.root != null && !Files.isDirectory(root)) {
            throw new ConfigException("root folder " + root + " does not exist");
        }
        this.ownFiles = new OwnFiles(options.root);
        variables.put("guestagent.home", home.toString());
        variables.put("guestagent.config", configDir.toString());
        variables.put("guestagent.root", root.toString());

        Properties cfg = load(configDir.resolve(LAUNCHER_PID + ".cfg"));
        boolean systemPaths = options.root != null || superUser;
        Path base = systemPaths ? root : home.resolve("data");
        this.stateDir = pathSetting(cfg, "state.dir", systemPaths ? base.resolve("var/lib/guest-agent") : base.resolve("state"));
        variables.put("guestagent.state.dir", stateDir.toString());
        this.runDir = pathSetting(cfg, "run.dir", systemPaths ? base.resolve("run/guest-agent") : base.resolve("run"));
        variables.put("guestagent.run.dir", runDir.toString());
        this.deployDir = pathSetting(cfg, "deploy.dir", home.resolve("deploy"));
        variables.put("guestagent.deploy.dir", deployDir.toString());
        this.featuresFile = pathSetting(cfg, "features.file", home.resolve("features/features.xml"));
        this.logFile = options.logFile != null ? options.logFile
                : pathSetting(cfg, "log.file", systemPaths ? base.resolve("var/log/guest-agent.log") : base.resolve("log/guest-agent.log"));
        this.pidFile = options.pidFile != null ? options.pidFile : pathSetting(cfg, "pid.file", runDir.resolve("guest-agent.pid"));
        this.socket = options.socket != null ? options.socket : shellSocket(configDir, runDir, variables);
        String level = options.logLevel != null ? options.logLevel : Options.level(text(cfg, "log.level", "info"));
        this.logLevel = level;
        String group = text(cfg, "log.group", "");
        this.logGroup = group.isEmpty() ? null : group;
        List<String> listed = options.features != null ? options.features : Options.features(text(cfg, "features", String.join(",", DEFAULT_FEATURES)));
        this.features = new HostChannels(configDir, variables).expand(listed);
        String store = text(cfg, "trust.store", "");
        this.trustStore = store.isEmpty() ? null : home.resolve(store).normalize();
        this.trustStorePassword = cfg.getProperty("trust.store.password", "").trim();
        try {
            this.stopTimeoutSeconds = Integer.parseInt(text(cfg, "stop.timeout.seconds", "30"));
        } catch (NumberFormatException e) {
            throw new ConfigException("stop.timeout.seconds in " + LAUNCHER_PID + ".cfg is not a number");
        }
    }

    /** The shell socket: socket.path of the shell's own configuration, else <run dir>/shell.sock. */
    private static Path shellSocket(Path configDir, Path runDir, Map<String, String> variables) throws ConfigException {
        Properties shell = load(configDir.resolve("org.guestagent.shell.cfg"));
        String path = substitute(shell.getProperty("socket.path", "").trim(), variables);
        return path.isEmpty() ? runDir.resolve("shell.sock") : Path.of(path);
    }

    private Path pathSetting(Properties cfg, String key, Path fallback) {
        String value = substitute(cfg.getProperty(key, "").trim(), variables);
        return value.isEmpty() ? fallback : home.resolve(value).normalize();
    }

    private String text(Properties cfg, String key, String fallback) {
        String value = substitute(cfg.getProperty(key, "").trim(), variables);
        return value.isEmpty() ? fallback : value;
    }

    /** Reads a key=value file; a missing file is empty, an unreadable one is an error. */
    static Properties load(Path file) throws ConfigException {
        Properties p = new Properties();
        if (Files.exists(file)) {
            try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                p.load(r);
            } catch (IOException | IllegalArgumentException e) {
                throw new ConfigException("cannot read " + file + ": " + e.getMessage(), e);
            }
        }
        return p;
    }

    /** Replaces ${name} by a variable or a system property; unknown names stay as they are. */
    static String substitute(String text, Map<String, String> variables) {
        Matcher m = VARIABLE.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String value = variables.get(m.group(1));
            if (value == null) {
                value = System.getProperty(m.group(1), m.group());
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** The bundle cache: below the state folder, kept between starts (see BundleCache). */
    Path felixCache() {
        return stateDir.resolve("felix-cache");
    }

    /** framework.properties of the config folder, with variables substituted, plus our own. */
    Map<String, String> frameworkProperties() throws ConfigException {
        Map<String, String> props = new LinkedHashMap<>();
        Properties file = load(configDir.resolve("framework.properties"));
        for (String key : file.stringPropertyNames()) {
            props.put(key, substitute(file.getProperty(key).trim(), variables));
        }
        props.putAll(variables);
        props.put("org.osgi.framework.storage", felixCache().toString());
        // the cache is kept: BundleCache applies the features to it and rebuilds it when unusable
        props.put("org.osgi.framework.storage.clean", "none");
        props.put("felix.fileinstall.dir", configDir.toString());
        if (trustStore != null) {
            // read by agentupdate: the signed-bundle mode holds for updates as for deploy/
            props.put("guestagent.trust.store", trustStore.toString());
            props.put("guestagent.trust.store.password", trustStorePassword);
        }
        return props;
    }
}
