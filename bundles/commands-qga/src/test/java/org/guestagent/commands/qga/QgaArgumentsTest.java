package org.guestagent.commands.qga;

import static org.guestagent.commands.qga.QgaArguments.Type.BOOLEAN;
import static org.guestagent.commands.qga.QgaArguments.Type.INTEGER;
import static org.guestagent.commands.qga.QgaArguments.Type.STRING;
import static org.guestagent.commands.qga.QgaArguments.optional;
import static org.guestagent.commands.qga.QgaArguments.required;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.Map;

import org.guestagent.api.command.CommandArgument;
import org.guestagent.api.command.CommandException;
import org.guestagent.api.command.CommandResult;
import org.junit.jupiter.api.Test;

class QgaArgumentsTest {
    private static String refusal(Map<String, Object> given) {
        CommandException e = assertThrows(CommandException.class, () -> QgaArguments.check(CommandArgument.of(given),
                required("path", STRING), optional("count", INTEGER), required("crypted", BOOLEAN)));
        assertEquals(CommandResult.Status.INVALID_ARGUMENT, e.status());
        return e.getMessage();
    }

    private static Map<String, Object> map(Object... pairs) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            m.put((String) pairs[i], pairs[i + 1]);
        }
        return m;
    }

    @Test
    void checksInDeclaredOrderThenLeftovers() {
        assertEquals("Parameter 'path' is missing", refusal(map("zzz", 1)));
        assertEquals("Invalid parameter type for 'path', expected: string", refusal(map("path", BigInteger.ONE)));
        assertEquals("Invalid parameter type for 'count', expected: integer", refusal(map("path", "/x", "count", "1")));
        assertEquals("Invalid parameter type for 'count', expected: integer",
                refusal(map("path", "/x", "count", BigInteger.TWO.pow(63), "crypted", true)));
        assertEquals("Parameter 'crypted' is missing", refusal(map("path", "/x")));
        assertEquals("Invalid parameter type for 'crypted', expected: boolean", refusal(map("path", "/x", "crypted", "yes")));
        assertEquals("Parameter 'zzz' is unexpected", refusal(map("path", "/x", "crypted", false, "zzz", 1)));
    }

    @Test
    void givesTheValues() {
        QgaArguments args = QgaArguments.check(CommandArgument.of(map("path", "/x", "count", BigInteger.valueOf(-5), "crypted", true)),
                required("path", STRING), optional("count", INTEGER), required("crypted", BOOLEAN));
        assertEquals("/x", args.string("path"));
        assertEquals(-5L, args.integer("count", 4096));
        assertEquals(true, args.bool("crypted"));
    }
}
