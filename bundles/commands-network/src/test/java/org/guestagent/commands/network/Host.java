package org.guestagent.commands.network;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.guestagent.api.system.SystemActions.ExecResult;
import org.guestagent.system.RealSystemActions;

/** Runs real programs for the real-application tests, each bounded in time. */
final class Host {

    private static final RealSystemActions RUNNER = new RealSystemActions(() -> null);
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private Host() {
    }

    static ExecResult run(String... command) throws IOException {
        return RUNNER.run(List.of(command), null, TIMEOUT);
    }

    /** Runs a program that must succeed; its standard output. */
    static String ok(String... command) throws IOException {
        ExecResult result = run(command);
        if (!result.ok()) {
            throw new AssertionError(String.join(" ", command) + " exited with " + result.exitCode() + ":\n"
                    + result.stdout() + result.stderr());
        }
        return result.stdout();
    }

    static boolean isRoot() {
        try {
            return run("id", "-u").stdout().strip().equals("0");
        } catch (IOException e) {
            return false;
        }
    }

    /** Skips the test, saying why, unless root and the programs are there. */
    static void assumeRootWith(String... programs) {
        assumeTrue(isRoot(), "needs root (network/UTS namespaces); run the tests as root to include it");
        for (String program : programs) {
            boolean found = java.util.stream.Stream.of("/usr/sbin/", "/sbin/", "/usr/bin/", "/bin/").anyMatch(d -> Files.isExecutable(Path.of(d + program)));
            assumeTrue(found, "needs the program " + program + " (see scripts/install-test-deps.sh)");
        }
    }
}
