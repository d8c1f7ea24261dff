package org.guestagent.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.guestagent.api.command.CommandArgument;
import org.guestagent.api.command.CommandContext;
import org.guestagent.api.command.CommandException;
import org.guestagent.api.runtime.CommandRegistry;
import org.guestagent.api.command.CommandResult;
import org.guestagent.api.transport.NoSuchCommandException;
import org.guestagent.api.runtime.PairingRegistry;
import org.junit.jupiter.api.Test;

class AgentCommandsTest {
    private final List<CommandContext> contexts = new ArrayList<>();

    private final CommandRegistry registry = new CommandRegistry() {
        @Override
        public List<CommandInfo> commands() {
            return List.of(new CommandInfo("features", "org.guestagent.commands-misc", 0, "features", false, List.of("nova-json"), true),
                    new CommandInfo("sample_hello", "org.guestagent.sample-commands", 10, "hello", false, List.of("*"), false));
        }

        @Override
        public List<CommandInfo> commands(String protocol) {
            return commands();
        }

        @Override
        public List<CommandRun> runs() {
            return List.of(new CommandRun("keyinit", "r-1", RunState.HANGING, Instant.EPOCH, "agent-command-1"),
                    new CommandRun("resetnetwork", "r-2", RunState.WAITING, Instant.EPOCH, "agent-dispatcher-x"));
        }

        @Override
        public CommandResult invoke(String name, CommandArgument argument, CommandContext context) throws NoSuchCommandException {
            contexts.add(context);
            return switch (name) {
                case "echo" -> CommandResult.ok(argument.kind() + ":" + argument);
                case "boom" -> throw new CommandException("it broke");
                default -> throw new NoSuchCommandException(name);
            };
        }
    };

    private AgentCommands commands(CommandRegistry commandRegistry, PairingRegistry pairingRegistry) throws Exception {
        AgentCommands c = new AgentCommands();
        set(c, "commandRegistry", commandRegistry);
        set(c, "pairingRegistry", pairingRegistry);
        return c;
    }

    private static void set(Object target, String field, Object value) throws Exception {
        Field f = target.getClass().getDeclaredField(field);
        f.setAccessible(true);
        f.set(target, value);
    }

    @Test
    void listsCommandsWithBundleAndRanking() throws Exception {
        String table = commands(registry, null).commands();
        assertEquals("""
                NAME          BUNDLE                          RANKING  PROTOCOLS  LOADED
                features      org.guestagent.commands-misc    0        nova-json  yes
                sample_hello  org.guestagent.sample-commands  10       *          no
                """, table);
    }

    @Test
    void listsRunsAndCountsTheHangingOnes() throws Exception {
        String table = commands(registry, null).runs();
        assertTrue(table.startsWith("COMMAND       REQUEST  STATE    SINCE"), table);
        assertTrue(table.contains("keyinit       r-1      hanging"), table);
        assertTrue(table.contains("resetnetwork  r-2      waiting"), table);
        assertTrue(table.endsWith("1 hanging\n"), table);
    }

    @Test
    void listsPairsWithCounters() throws Exception {
        PairingRegistry pairs = () -> List.of(new PairingRegistry.PairInfo("nova-json", "xenstore", "NovaJsonParser", 7, 1, Instant.EPOCH),
                new PairingRegistry.PairInfo("test", "queue", "TestParser", 0, 0, null));
        String table = commands(null, pairs).pairs();
        assertTrue(table.startsWith("PROTOCOL   EXCHANGE  PARSER          SERVED  ERRORS  LAST REQUEST\n"), table);
        assertTrue(table.contains("nova-json  xenstore  NovaJsonParser  7       1"), table);
        assertTrue(table.contains("test       queue     TestParser      0       0       -"), table);
    }

    @Test
    void callsThroughTheRegistry() throws Exception {
        AgentCommands c = commands(registry, null);
        assertEquals("0 OBJECT:{a=1}", c.call(null, "echo", "{\"a\":1}"));
        assertEquals("0 TEXT:agent", c.call(null, "echo", "agent"));
        assertEquals("0 NONE:null", c.call(null, "echo"));
        assertEquals("404 No such agent command 'nope'", c.call(null, "nope"));
        assertEquals("500 it broke", c.call(null, "boom"));
        assertTrue(contexts.get(0).requestId().startsWith("shell-"));
        assertEquals("shell", contexts.get(0).session().name());
    }

    @Test
    void saysWhenTheCoreIsMissing() throws Exception {
        AgentCommands c = commands(null, null);
        assertTrue(c.commands().startsWith("The command registry is not running"));
        assertTrue(c.pairs().startsWith("The pairing registry is not running"));
        assertTrue(c.call(null, "version").startsWith("The command registry is not running"));
    }
}
