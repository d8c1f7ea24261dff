package org.guestagent.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigInteger;
import java.util.List;
import java.util.Map;

import org.guestagent.api.command.CommandArgument;
import org.junit.jupiter.api.Test;

class ArgumentTextTest {

    @Test
    void jsonBecomesItsValue() {
        assertEquals(CommandArgument.of(Map.of("b64_path", "L2V0Yw==", "n", BigInteger.ONE)), ArgumentText.parse("{\"b64_path\":\"L2V0Yw==\",\"n\":1}"));
        assertEquals(CommandArgument.of(List.of(BigInteger.ONE, "a")), ArgumentText.parse("[1,\"a\"]"));
        assertEquals(CommandArgument.of(BigInteger.valueOf(42)), ArgumentText.parse("42"));
        assertEquals(CommandArgument.of("quoted"), ArgumentText.parse("\"quoted\""));
    }

    @Test
    void anythingElseIsText() {
        assertEquals(CommandArgument.of("agent"), ArgumentText.parse("agent"));
        assertEquals(CommandArgument.of("12 monkeys"), ArgumentText.parse("12 monkeys"));
        assertEquals(CommandArgument.of("{broken"), ArgumentText.parse("{broken"));
        assertEquals(CommandArgument.NONE, ArgumentText.parse(null));
    }
}
