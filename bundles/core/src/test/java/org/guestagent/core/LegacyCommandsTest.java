package org.guestagent.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.lang.reflect.Proxy;
import java.util.Map;

import org.guestagent.api.command.CommandArgument;
import org.guestagent.api.command.CommandContext;
import org.guestagent.api.command.CommandException;
import org.guestagent.api.command.CommandResult;
import org.guestagent.api.command.MapSession;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;

/** A command set written against the deprecated first API is found, called and answered as before. */
@SuppressWarnings("deprecation")
class LegacyCommandsTest {

    /** An old-style vendor set, as the README showed it before the API was split. */
    public static class OldSet implements org.guestagent.api.CommandSet {
        @org.guestagent.api.Command("old_echo")
        public String echo(org.guestagent.api.CommandArgument argument, org.guestagent.api.CommandContext context) {
            context.session().put("seen", argument.asText());
            return argument.asText() + " via " + context.requestId();
        }

        @org.guestagent.api.Command(value = "old_code", secret = true)
        public org.guestagent.api.CommandResult code(org.guestagent.api.CommandArgument argument) {
            return new org.guestagent.api.CommandResult(argument.asText(), "m");
        }

        @org.guestagent.api.Command("old_fail")
        public String fail() {
            throw new org.guestagent.api.CommandException("404", "gone", null);
        }
    }

    private static ServiceReference<?> reference(long id) {
        Map<String, Object> properties = Map.of(Constants.SERVICE_ID, id);
        return (ServiceReference<?>) Proxy.newProxyInstance(LegacyCommandsTest.class.getClassLoader(),
                new Class<?>[] { ServiceReference.class }, (proxy, method, args) -> switch (method.getName()) {
                    case "getProperty" -> properties.get(args[0]);
                    case "getBundle" -> null;
                    default -> null;
                });
    }

    private static Object call(CommandTable.Entry entry, CommandArgument argument, CommandContext context) throws Exception {
        CommandTable.Target target = entry.resolve();
        Class<?>[] types = target.method().getParameterTypes();
        Object[] args = new Object[types.length];
        for (int i = 0; i < types.length; i++) {
            args[i] = LegacyCommands.parameter(types[i], argument, context);
        }
        return target.method().invoke(target.object(), args);
    }

    @Test
    void oldCommandsAreFoundAndRunWithTheirOwnTypes() throws Exception {
        CommandTable table = new CommandTable();
        table.add(reference(7), new OldSet());
        assertNotNull(table.winner("old_echo"));
        assertEquals(true, table.winner("old_code").resolve().secret());

        MapSession session = new MapSession("pair");
        Object answer = call(table.winner("old_echo"), CommandArgument.of("hi"), CommandContext.of("r-1", session));
        assertEquals("hi via r-1", answer);
        assertEquals("hi", session.get("seen", String.class), "the old context writes through to the pair's session");

        table.remove(reference(7));
        assertNull(table.winner("old_echo"));
    }

    @Test
    void oldCodesBecomeStatusesAndUnknownOnesTheDetail() {
        assertEquals(CommandResult.ok("m"), LegacyCommands.result(new org.guestagent.api.CommandResult("0", "m")));
        assertEquals(CommandResult.notFound("m"), LegacyCommands.result(new org.guestagent.api.CommandResult("404", "m")));
        assertEquals(CommandResult.failed("m"), LegacyCommands.result(new org.guestagent.api.CommandResult("500", "m")));
        assertEquals(CommandResult.ok("m").withDetail("X0"), LegacyCommands.result(new org.guestagent.api.CommandResult("X0", "m")));
        assertEquals(CommandResult.failed("m").withDetail("403"), LegacyCommands.result(new org.guestagent.api.CommandResult("403", "m")));

        CommandException e = LegacyCommands.exception(new org.guestagent.api.CommandException("404", "gone", null));
        assertEquals(CommandResult.notFound("gone"), e.result());
        assertEquals(CommandResult.failed("broke"), LegacyCommands.exception(new org.guestagent.api.CommandException("broke")).result());
    }
}
