package org.guestagent.commands.qga;

import static org.guestagent.commands.qga.QgaArguments.Type.BOOLEAN;
import static org.guestagent.commands.qga.QgaArguments.Type.INTEGER;
import static org.guestagent.commands.qga.QgaArguments.Type.STRING;
import static org.guestagent.commands.qga.QgaArguments.Type.STRING_LIST;
import static org.guestagent.commands.qga.QgaArguments.optional;
import static org.guestagent.commands.qga.QgaArguments.required;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.guestagent.api.command.Command;
import org.guestagent.api.command.CommandArgument;
import org.guestagent.api.command.CommandContext;
import org.guestagent.api.command.CommandException;
import org.guestagent.api.command.CommandSet;
import org.guestagent.api.command.ServesCommands;
import org.guestagent.api.system.SystemActions;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * guest-exec and guest-exec-status as qemu-ga 7.2 has them: the program starts through the system
 * actions service (so with {@code --root} it is only recorded) and runs on its own; its standard
 * input gets {@code input-data} and is then closed; with {@code capture-output} its standard output
 * and error are kept, each up to 16 MiB (qemu-ga's GUEST_EXEC_MAX_OUTPUT; more is read and dropped
 * and the output marked truncated). A status of an ended program is given once, then forgotten.
 */
@Component(service = CommandSet.class)
@ServesCommands(commands = { "guest-exec", "guest-exec-status" }, protocols = "qga")
public class QgaExecCommands implements CommandSet {
    private static final System.Logger LOG = System.getLogger(QgaExecCommands.class.getName());

    /** qemu-ga's GUEST_EXEC_MAX_OUTPUT. */
    static final int OUTPUT_MAX = 16 * 1024 * 1024;

    private final SystemActions actions;
    private final Map<Long, Execution> executions = new ConcurrentHashMap<>();

    @Activate
    public QgaExecCommands(@Reference(name = "actions") SystemActions actions) {
        this.actions = actions;
    }

    @Command("guest-exec")
    public String exec(CommandArgument argument, CommandContext context) {
        QgaArguments args = QgaArguments.check(argument, required("path", STRING), optional("arg", STRING_LIST),
                optional("env", STRING_LIST), optional("input-data", STRING), optional("capture-output", BOOLEAN));
        String path = args.string("path");
        byte[] input = args.has("input-data") ? Base64Text.decode(args.string("input-data")) : null;
        boolean capture = Boolean.TRUE.equals(args.bool("capture-output"));
        List<String> command = new ArrayList<>();
        command.add(path);
        if (args.has("arg")) {
            command.addAll(args.strings("arg"));
        }
        Map<String, String> environment = null;
        if (args.has("env")) {
            environment = new LinkedHashMap<>();
            for (String entry : args.strings("env")) {
                int equals = entry.indexOf('=');
                environment.put(equals < 0 ? entry : entry.substring(0, equals), equals < 0 ? "" : entry.substring(equals + 1));
            }
        }
        Process process;
        try {
            process = actions.start(command, environment, input != null, capture);
        } catch (IOException e) {
            throw new CommandException("Guest agent command failed, error was 'Failed to execute child process \u201C" + path
                    + "\u201D (" + reason(e) + ")'");
        }
        // the path only: arguments may carry secrets
        LOG.log(Level.INFO, "request {0}: guest-exec {1} started as pid {2}", context.requestId(), path, String.valueOf(process.pid()));
        executions.put(process.pid(), new Execution(process, input, capture));
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("pid", process.pid());
        return Json.of(result);
    }

    @Command(value = "guest-exec-status", quiet = true)
    public String status(CommandArgument argument) {
        QgaArguments args = QgaArguments.check(argument, required("pid", INTEGER));
        long pid = args.integer("pid");
        Execution execution = executions.get(pid);
        if (execution == null) {
            throw new CommandException("Invalid parameter 'pid'");
        }
        Map<String, Object> result = new LinkedHashMap<>();
        if (!execution.ended()) {
            result.put("exited", false);
            return Json.of(result);
        }
        executions.remove(pid);
        result.put("exited", true);
        int exit = execution.process.exitValue();
        // the JDK gives 128 + the signal for a program a signal ended (it reaps the child itself)
        if (exit > 128 && exit <= 128 + 64) {
            result.put("signal", exit - 128);
        } else {
            result.put("exitcode", exit);
        }
        List<Output> outputs = execution.out == null ? List.of() : List.of(execution.out, execution.err);
        for (Output output : outputs) {
            if (output.length() > 0) {
                result.put(output.name + "-data", Base64.getEncoder().encodeToString(output.bytes()));
            }
        }
        for (Output output : outputs) {
            if (output.length() > 0) {
                result.put(output.name + "-truncated", output.truncated);
            }
        }
        return Json.of(result);
    }

    /** The system's reason, as glib words it: what follows "error=N, " in the JDK's message. */
    private static String reason(IOException e) {
        String message = String.valueOf(e.getMessage());
        int at = message.indexOf("error=");
        int comma = at < 0 ? -1 : message.indexOf(", ", at);
        return comma < 0 ? message : message.substring(comma + 2);
    }

    /** A started program, with readers for its output and a writer for its input. */
    private static final class Execution {
        final Process process;
        final Output out;
        final Output err;

        Execution(Process process, byte[] input, boolean capture) {
            this.process = process;
            this.out = capture ? new Output("out", process.getInputStream()) : null;
            this.err = capture ? new Output("err", process.getErrorStream()) : null;
            if (input != null) {
                background("guest-exec-input", () -> {
                    try (OutputStream stdin = process.getOutputStream()) {
                        stdin.write(input);
                    } catch (IOException e) {
                        // the program closed its input early: what it did not take is dropped, as qemu-ga does
                    }
                });
            }
        }

        /** Ended and, as qemu-ga waits for, both outputs closed. */
        boolean ended() {
            return !process.isAlive() && (out == null || out.closed()) && (err == null || err.closed());
        }
    }

    /** One output of a program, kept up to {@link #OUTPUT_MAX}; read on a thread of its own. */
    private static final class Output {
        final String name;
        private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
        private volatile boolean truncated;
        private volatile boolean closed;

        Output(String name, InputStream stream) {
            this.name = name;
            background("guest-exec-" + name, () -> {
                byte[] buffer = new byte[4096];
                try (stream) {
                    int n;
                    while ((n = stream.read(buffer)) >= 0) {
                        synchronized (this) {
                            int room = OUTPUT_MAX - kept.size();
                            kept.write(buffer, 0, Math.min(n, room));
                            if (n > room) {
                                truncated = true;
                            }
                        }
                    }
                } catch (IOException e) {
                    // the pipe went away: what was read is kept
                } finally {
                    closed = true;
                }
            });
        }

        boolean closed() {
            return closed;
        }

        synchronized int length() {
            return kept.size();
        }

        synchronized byte[] bytes() {
            return kept.toByteArray();
        }
    }

    private static void background(String name, Runnable task) {
        Thread thread = new Thread(task, name);
        thread.setDaemon(true);
        thread.start();
    }
}
