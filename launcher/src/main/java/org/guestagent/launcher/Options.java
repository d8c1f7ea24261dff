package org.guestagent.launcher;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The command line of {@code guest-agent}, parsed; fields left null were not given. */
final class Options {
    static final String USAGE = """
            Usage: guest-agent [OPTIONS]
                   guest-agent shell [--root DIR] [--config DIR] [--socket FILE] [-c COMMAND]
                   bin/guest-agent --make-cds

            Runs the Unix guest agent. Without --foreground it detaches and returns once the agent is up.

            Options:
              --foreground        stay attached to the terminal (what systemd runs)
              --pidfile FILE      write the agent's pid to FILE once it is up
              --logfile FILE      write the log to FILE
              --log-level LEVEL   error, warn, info, debug or trace
              --config DIR        configuration folder (default: <home>/config)
              --root DIR          every file a command writes lands under DIR (tests, demos)
              --features LIST     comma-separated features to install (default from config: guest-agent-core,auto,guest-agent-shell;
                                  auto: guest-agent-xen and/or -kvm, as the guest's host channels exist)
              --console           with --foreground: also open the Gogo console on the terminal
              --help              show this help
              --version           show the agent's version

            The shell subcommand talks to the running agent's Gogo shell over its local socket (root
            only): type commands such as agent:commands, agent:pairs, agent:call version, or pipe them
            in, or give one with -c. Piped or with -c, errors go to stderr and the exit status is 1
            if any command failed.

            bin/guest-agent --make-cds makes the class data archive lib/guest-agent.jsa that shortens
            every later start; scripts/install.sh runs it (again after a JDK update).
            """;

    boolean help;
    boolean version;
    boolean foreground;
    boolean console;
    boolean shell;
    Path pidFile;
    Path logFile;
    String logLevel;
    Path configDir;
    Path root;
    Path socket;
    /** The shell's {@code -c COMMAND}: run this one command line instead of reading stdin. */
    String shellCommand;
    List<String> features;
    /** Internal: the start script's marker file, written once the agent is up (daemon mode). */
    Path readyFile;

    static Options parse(String[] args) throws UsageException {
        Options o = new Options();
        int i = 0;
        if (args.length > 0 && args[0].equals("shell")) {
            o.shell = true;
            i = 1;
        }
        for (; i < args.length; i++) {
            String arg = args[i];
            String value = null;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                value = arg.substring(eq + 1);
                arg = arg.substring(0, eq);
            }
            switch (arg) {
                case "--help", "-h" -> o.help = true;
                case "--version", "-V" -> o.version = true;
                case "--foreground", "-f" -> o.foreground = true;
                case "--console" -> o.console = true;
                case "--pidfile" -> o.pidFile = path(arg, value != null ? value : next(args, ++i, arg));
                case "--logfile" -> o.logFile = path(arg, value != null ? value : next(args, ++i, arg));
                case "--log-level" -> o.logLevel = level(value != null ? value : next(args, ++i, arg));
                case "--config" -> o.configDir = path(arg, value != null ? value : next(args, ++i, arg));
                case "--root" -> o.root = path(arg, value != null ? value : next(args, ++i, arg));
                case "--socket" -> o.socket = path(arg, value != null ? value : next(args, ++i, arg));
                case "--features" -> o.features = features(value != null ? value : next(args, ++i, arg));
                case "-c", "--command" -> {
                    if (!o.shell) {
                        throw new UsageException("option '" + arg + "' belongs to the shell subcommand");
                    }
                    o.shellCommand = value != null ? value : next(args, ++i, arg);
                }
                case "--ready-file" -> o.readyFile = path(arg, value != null ? value : next(args, ++i, arg));
                default -> throw new UsageException(arg.startsWith("-")
                        ? "unknown option '" + arg + "'"
                        : "unexpected argument '" + arg + "'");
            }
        }
        if (o.shell && (o.foreground || o.console || o.pidFile != null || o.logFile != null || o.features != null)) {
            throw new UsageException("the shell subcommand takes only --root, --config and --socket");
        }
        if (!o.shell && o.socket != null) {
            throw new UsageException("--socket belongs to the shell subcommand");
        }
        if (o.console && !o.foreground) {
            throw new UsageException("--console needs --foreground");
        }
        return o;
    }

    private static String next(String[] args, int i, String option) throws UsageException {
        if (i >= args.length || args[i].startsWith("--")) {
            throw new UsageException("option '" + option + "' needs a value");
        }
        return args[i];
    }

    private static Path path(String option, String value) throws UsageException {
        if (value.isBlank()) {
            throw new UsageException("option '" + option + "' needs a value");
        }
        return Path.of(value).toAbsolutePath().normalize();
    }

    static String level(String value) throws UsageException {
        String v = value.toLowerCase(Locale.ROOT);
        if (!LogSetup.LEVELS.containsKey(v)) {
            throw new UsageException("unknown log level '" + value + "' (use one of " + String.join(", ", LogSetup.LEVELS.keySet()) + ")");
        }
        return v;
    }

    static List<String> features(String value) throws UsageException {
        List<String> names = new ArrayList<>();
        for (String part : value.split(",")) {
            if (!part.isBlank()) {
                names.add(part.trim());
            }
        }
        if (names.isEmpty()) {
            throw new UsageException("option '--features' needs at least one feature name");
        }
        return names;
    }
}
