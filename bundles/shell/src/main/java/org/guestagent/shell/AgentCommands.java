package org.guestagent.shell;

import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Descriptor;
import org.guestagent.api.command.CommandContext;
import org.guestagent.api.command.CommandException;
import org.guestagent.api.command.MapSession;
import org.guestagent.api.runtime.CommandRegistry;
import org.guestagent.api.command.CommandResult;
import org.guestagent.api.transport.NoSuchCommandException;
import org.guestagent.api.runtime.PairingRegistry;
import org.guestagent.api.command.Session;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * Gogo commands to look into a running agent: {@code agent:commands}, {@code agent:pairs},
 * {@code agent:runs} and {@code agent:call <name> [<argument>]}. The registries are optional so the commands can say
 * plainly when the core is not running.
 */
@Component(service = AgentCommands.class, property = {
        "osgi.command.scope=agent",
        "osgi.command.function=commands",
        "osgi.command.function=pairs",
        "osgi.command.function=runs",
        "osgi.command.function=call" })
public class AgentCommands {
    private static final String SESSION_KEY = "agent.session";
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneId.systemDefault());
    private final AtomicLong calls = new AtomicLong();

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile CommandRegistry commandRegistry;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile PairingRegistry pairingRegistry;

    @Descriptor("lists the agent's commands: name, providing bundle, ranking, protocols served, whether its set is loaded")
    public String commands() {
        CommandRegistry registry = commandRegistry;
        if (registry == null) {
            return "The command registry is not running (is the core bundle started?).";
        }
        Table table = new Table("NAME", "BUNDLE", "RANKING", "PROTOCOLS", "LOADED");
        for (CommandRegistry.CommandInfo info : registry.commands()) {
            table.row(info.name(), info.bundle(), info.ranking(), String.join(",", info.protocols()),
                    info.loaded() ? "yes" : "no");
        }
        return table.toString();
    }

    @Descriptor("lists the exchange/parser pairs: requests served, errors, last request time")
    public String pairs() {
        PairingRegistry registry = pairingRegistry;
        if (registry == null) {
            return "The pairing registry is not running (is the core bundle started?).";
        }
        Table table = new Table("PROTOCOL", "EXCHANGE", "PARSER", "SERVED", "ERRORS", "LAST REQUEST");
        for (PairingRegistry.PairInfo pair : registry.pairs()) {
            Instant last = pair.lastRequest();
            table.row(pair.protocol(), pair.exchange(), pair.parser(), pair.served(), pair.errors(),
                    last == null ? "-" : TIME.format(last));
        }
        return table.toString();
    }

    @Descriptor("lists the requests waiting or running now and the commands left hanging after their timeout")
    public String runs() {
        CommandRegistry registry = commandRegistry;
        if (registry == null) {
            return "The command registry is not running (is the core bundle started?).";
        }
        List<CommandRegistry.CommandRun> runs = registry.runs();
        Table table = new Table("COMMAND", "REQUEST", "STATE", "SINCE", "THREAD");
        for (CommandRegistry.CommandRun run : runs) {
            table.row(run.command(), run.requestId(), run.state().name().toLowerCase(Locale.ROOT), TIME.format(run.since()),
                    run.thread());
        }
        long hanging = runs.stream().filter(r -> r.state() == CommandRegistry.RunState.HANGING).count();
        return table.toString() + hanging + " hanging\n";
    }

    @Descriptor("runs an agent command without an argument")
    public String call(CommandSession session, @Descriptor("command name") String name) {
        return run(session, name, null);
    }

    @Descriptor("runs an agent command; the argument is JSON when it parses as JSON, else text")
    public String call(CommandSession session, @Descriptor("command name") String name,
            @Descriptor("argument: JSON or text") String argument) {
        return run(session, name, argument);
    }

    private String run(CommandSession gogo, String name, String argument) {
        CommandRegistry registry = commandRegistry;
        if (registry == null) {
            return "The command registry is not running (is the core bundle started?).";
        }
        Session session = agentSession(gogo);
        String requestId = "shell-" + calls.incrementAndGet();
        CommandContext context = new CommandContext() {
            @Override
            public String requestId() {
                return requestId;
            }

            @Override
            public Session session() {
                return session;
            }

            @Override
            public String protocol() {
                return null; // the shell sees the commands of every protocol
            }

            @Override
            public java.util.Optional<org.guestagent.api.hostdata.HostData> hostData() {
                return java.util.Optional.empty(); // no host speaks through the shell
            }
        };
        try {
            CommandResult result = registry.invoke(name, ArgumentText.parse(argument), context);
            return format(result);
        } catch (NoSuchCommandException e) {
            return format(CommandResult.notFound("No such agent command '" + name + "'"));
        } catch (CommandException e) {
            return format(e.result());
        }
    }

    /** A result as the shell prints it: the code nova would answer (or the adapter's own), then the message. */
    static String format(CommandResult result) {
        String code = result.detail() != null ? result.detail() : switch (result.status()) {
            case OK -> "0";
            case NOT_FOUND -> "404";
            case FAILED, INVALID_ARGUMENT -> "500";
        };
        return format(code, result.message());
    }

    static String format(String code, String message) {
        return code + " " + (message == null ? "" : message);
    }

    private static Session agentSession(CommandSession gogo) {
        if (gogo == null) {
            return new MapSession("shell");
        }
        Object existing = gogo.get(SESSION_KEY);
        if (existing instanceof Session s) {
            return s;
        }
        Session created = new MapSession("shell");
        gogo.put(SESSION_KEY, created);
        return created;
    }
}
