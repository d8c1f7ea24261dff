package org.guestagent.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MainTest {
    @TempDir
    Path home;

    @Test
    void exitCodes() throws Exception {
        assertEquals(0, Main.run(new String[] {"--help"}));
        assertEquals(0, Main.run(new String[] {"--version"}));
        assertEquals(Main.EXIT_USAGE, Main.run(new String[] {"--no-such-option"}));
        System.setProperty("guestagent.home", home.toString());
        try {
            assertEquals(Main.EXIT_FAILED, Main.run(new String[] {"--foreground"}), "no config folder");
            Files.createDirectories(home.resolve("config"));
            assertEquals(Main.EXIT_FAILED, Main.run(new String[] {"--foreground", "--root", home.toString()}), "no features file");
        } finally {
            System.clearProperty("guestagent.home");
        }
    }
}
