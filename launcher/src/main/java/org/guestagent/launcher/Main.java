package org.guestagent.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

import org.osgi.framework.BundleException;

/**
 * {@code guest-agent}: parses the command line, sets up logging, boots the agent and keeps it
 * running until SIGTERM (or the framework stops). Exit codes: 0 clean stop, 1 unusable
 * configuration or failed start, 2 bad command line.
 */
public final class Main {
    static final int EXIT_FAILED = 1;
    static final int EXIT_USAGE = 2;

    private Main() {
    }

    public static void main(String[] args) {
        StartPhases.begin();
        LogSetup.installLogManager();
        int code = run(args);
        if (code != 0) {
            System.exit(code);
        }
    }

    static int run(String[] args) {
        Options options;
        try {
            options = Options.parse(args);
        } catch (UsageException e) {
            System.err.println("guest-agent: " + e.getMessage());
            System.err.println("Try 'guest-agent --help'.");
            return EXIT_USAGE;
        }
        if (options.help) {
            System.out.print(Options.USAGE);
            return 0;
        }
        if (options.version) {
            System.out.println("guest-agent " + version());
            return 0;
        }
        try {
            Settings settings = new Settings(options, home(), isSuperUser());
            if (options.shell) {
                return ShellClient.run(settings.socket, options.shellCommand);
            }
            return runAgent(options, settings);
        } catch (UsageException e) {
            System.err.println("guest-agent: " + e.getMessage());
            return EXIT_USAGE;
        } catch (ConfigException e) {
            System.err.println("guest-agent: " + e.getMessage());
            return EXIT_FAILED;
        }
    }

    private static int runAgent(Options options, Settings settings) throws ConfigException {
        Optional<Long> running = PidFile.runningPid(settings.pidFile);
        if (running.isPresent() && running.get() != ProcessHandle.current().pid()) {
            throw new ConfigException("the agent is already running with pid " + running.get() + " (pid file " + settings.pidFile + ")");
        }
        List<String> renamed = new ArrayList<>();
        List<String> features = FeatureNames.current(
                options.console ? append(settings.features, FeatureNames.CONSOLE) : settings.features, renamed);
        StartPhases.mark("settings");
        List<Agent.Install> plan = Agent.plan(settings, features);
        StartPhases.mark("features");
        if (JournalLog.wanted(options)) {
            JournalLog.install(settings.logLevel); // under systemd: the journal keeps the lines and their levels
        } else {
            LogSetup.toFile(settings.ownFiles, settings.logFile, settings.logLevel, settings.logGroup);
        }
        Logger log = Logger.getLogger(Main.class.getName());
        StartPhases.mark("log");
        renamed.forEach(log::warning);
        try {
            Agent.checkDistribution(settings);
        } catch (ConfigException e) {
            log.severe(e.getMessage());
            throw e;
        }
        StartPhases.mark("checks");
        long pid = ProcessHandle.current().pid();
        log.info("guest-agent " + version() + " starting, pid " + pid + ", features " + String.join(",", features)
                + ", root " + settings.root + ", config " + settings.configDir);

        Agent agent = new Agent(settings, features.contains(FeatureNames.CONSOLE));
        Thread hook = new Thread(() -> shutdown(agent, settings, pid, log), "guest-agent-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        long began = System.nanoTime();
        try {
            agent.start(plan);
        } catch (BundleException | IOException | RuntimeException e) {
            log.log(Level.SEVERE, "the agent failed to start: " + e.getMessage(), e);
            System.err.println("guest-agent: failed to start: " + e.getMessage() + " (see " + settings.logFile + ")");
            return EXIT_FAILED;
        }
        long millis = (System.nanoTime() - began) / 1_000_000;
        try {
            PidFile.write(settings.ownFiles, settings.pidFile, pid);
            if (options.readyFile != null) {
                settings.ownFiles.overwrite(options.readyFile, pid + "\n");
            }
        } catch (IOException e) {
            log.severe("cannot write pid file " + settings.pidFile + ": " + e.getMessage());
            System.err.println("guest-agent: cannot write pid file " + settings.pidFile + ": " + e.getMessage());
            return EXIT_FAILED;
        }
        log.info("guest-agent up in " + millis + " ms: " + agent.activeBundles() + " of " + agent.bundleCount()
                + " bundles active, start level " + agent.startLevel() + "; " + StartPhases.summary());
        if (options.readyFile != null) {
            detachConsole();
        }
        try {
            agent.awaitStop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // stopped from inside (not by a signal): clean up here, the hook then has nothing left to do
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            return 0;
        }
        shutdown(agent, settings, pid, log);
        return 0;
    }

    private static void shutdown(Agent agent, Settings settings, long pid, Logger log) {
        log.info("guest-agent stopping");
        boolean stopped = agent.stop(settings.stopTimeoutSeconds);
        if (!stopped) {
            log.warning("the framework did not stop within " + settings.stopTimeoutSeconds + " s");
        }
        PidFile.remove(settings.ownFiles, settings.pidFile, pid);
        log.info("guest-agent stopped");
        LogSetup.close();
    }

    /** A daemon has no terminal: stdin reads nothing, stdout and stderr go to the log. */
    private static void detachConsole() {
        System.setIn(InputStream.nullInputStream());
        LogSetup.captureConsole();
    }

    private static List<String> append(List<String> list, String item) {
        return list.contains(item) ? list : java.util.stream.Stream.concat(list.stream(), java.util.stream.Stream.of(item)).toList();
    }

    static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v != null ? v : "development";
    }

    /** The distribution folder: -Dguestagent.home, else the folder above lib/guest-agent-launcher.jar. */
    static Path home() throws ConfigException {
        String property = System.getProperty("guestagent.home");
        if (property != null && !property.isBlank()) {
            return Path.of(property).toAbsolutePath().normalize();
        }
        try {
            Path jar = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path home = jar.getParent().getParent();
            if (Files.isDirectory(home.resolve("bundles"))) {
                return home;
            }
        } catch (Exception e) {
            // fall through to the message below
        }
        throw new ConfigException("cannot tell the agent's home folder; set -Dguestagent.home (bin/guest-agent does)");
    }

    static boolean isSuperUser() {
        try {
            return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
        } catch (IOException | RuntimeException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }
}
