package org.guestagent.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.guestagent.api.command.Command;
import org.guestagent.api.command.CommandSet;
import org.guestagent.api.runtime.CommandRegistry.CommandInfo;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;

/** Sets that declare their commands are known from their properties and fetched on the first call. */
class CommandTableTest {

    public static class NovaSet implements CommandSet {
        @Command("hello")
        public String hello() {
            return "nova hello";
        }
    }

    public static class QgaSet implements CommandSet {
        @Command("hello")
        public String hello() {
            return "qga hello";
        }

        @Command("guest-ping")
        public String ping() {
            return "";
        }
    }

    private static ServiceReference<?> reference(long id, int ranking, Object commands, Object protocols) {
        Map<String, Object> properties = new HashMap<>();
        properties.put(Constants.SERVICE_ID, id);
        properties.put(Constants.SERVICE_RANKING, ranking);
        properties.put("component.name", "set-" + id);
        if (commands != null) {
            properties.put(CommandSet.COMMANDS, commands);
        }
        if (protocols != null) {
            properties.put(CommandSet.PROTOCOLS, protocols);
        }
        return (ServiceReference<?>) Proxy.newProxyInstance(CommandTableTest.class.getClassLoader(),
                new Class<?>[] { ServiceReference.class },
                (proxy, method, args) -> "getProperty".equals(method.getName()) ? properties.get(args[0]) : null);
    }

    @Test
    void aDeclaredSetIsFetchedOnlyWhenItsCommandIsResolved() throws Exception {
        CommandTable table = new CommandTable();
        AtomicInteger fetches = new AtomicInteger();
        table.add(reference(1, 0, new String[] { "hello" }, "nova-json"), () -> {
            fetches.incrementAndGet();
            return new NovaSet();
        });
        assertEquals(0, fetches.get(), "adding a declared set does not fetch it");
        List<CommandInfo> listed = table.winners("nova-json");
        assertEquals(List.of("hello"), listed.stream().map(CommandInfo::name).toList());
        assertFalse(listed.get(0).loaded());
        assertEquals(0, fetches.get(), "listing does not fetch it either");

        CommandTable.Target target = table.winner("hello", "nova-json").resolve();
        assertEquals("nova hello", target.method().invoke(target.object()));
        table.winner("hello", "nova-json").resolve();
        assertEquals(1, fetches.get(), "fetched once, on the first call");
        assertTrue(table.winners("nova-json").get(0).loaded());
    }

    @Test
    void eachProtocolSeesOnlyTheSetsThatServeIt() {
        CommandTable table = new CommandTable();
        table.add(reference(1, 0, "hello", "nova-json"), NovaSet::new);
        table.add(reference(2, 5, new String[] { "hello", "guest-ping" }, new String[] { "qga" }), QgaSet::new);
        AtomicInteger anyFetches = new AtomicInteger();
        table.add(reference(3, 0, null, null), () -> {
            anyFetches.incrementAndGet();
            return new Object() {
                @Command("anywhere")
                public String anywhere() {
                    return "";
                }
            };
        });
        assertEquals(1, anyFetches.get(), "a set that does not declare its commands is fetched at once");

        assertEquals(List.of("anywhere", "hello"), table.winners("nova-json").stream().map(CommandInfo::name).toList());
        assertEquals(List.of("anywhere", "guest-ping", "hello"), table.winners("qga").stream().map(CommandInfo::name).toList());
        assertEquals("set-1", table.winner("hello", "nova-json").info().method(), "nova's hello, although qga's ranks higher");
        assertEquals("set-2", table.winner("hello", "qga").info().method());
        assertEquals("set-2", table.winner("hello", null).info().method(), "without a protocol the ranking decides");
        assertNull(table.winner("guest-ping", "nova-json"));

        table.remove(reference(2, 5, null, null));
        assertNull(table.winner("guest-ping", "qga"));
        assertNull(table.winner("hello", "qga"), "nova's hello does not serve qga");
    }
}
