package org.guestagent.itests.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.guestagent.itests.support.Distribution;
import org.guestagent.itests.support.Distribution.Result;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's JVM runs with glibc's malloc settings of bin/guest-agent (the way every service
 * manager starts it: systemd, OpenRC, rc.d and SysV all run that script): at most two malloc arenas,
 * and blocks of 16 KiB and more mapped from the kernel, so that the JIT compiler's freed arenas go
 * back to it instead of staying in malloc's heap (BENCHMARKS.md, issue 17). A value set by the
 * caller is kept.
 */
class MallocSettingsTest {
    private static final Duration LIMIT = Duration.ofSeconds(90);

    @TempDir
    Path scratch;
    private Path root;

    @AfterEach
    void stopAgent() throws IOException {
        Path pid = root == null ? null : root.resolve("run/guest-agent/guest-agent.pid");
        if (pid != null && Files.isRegularFile(pid)) {
            ProcessHandle.of(Long.parseLong(Files.readString(pid).trim())).ifPresent(ProcessHandle::destroy);
        }
    }

    @Test
    void theRunningAgentHasTheMallocSettings() throws Exception {
        Path home = Distribution.copyInto(scratch);
        root = Files.createDirectories(scratch.resolve("root"));

        Result start = Distribution.run(home, scratch, LIMIT, null,
                "bin/guest-agent", "--root", root.toString(), "--features", "guest-agent-core");

        assertEquals(0, start.code(), start.toString());
        long pid = Long.parseLong(Files.readString(root.resolve("run/guest-agent/guest-agent.pid")).trim());
        List<String> environment = List.of(
                new String(Files.readAllBytes(Path.of("/proc/" + pid + "/environ")), StandardCharsets.UTF_8).split("\0"));
        assertTrue(environment.contains("MALLOC_ARENA_MAX=" + System.getenv().getOrDefault("MALLOC_ARENA_MAX", "2")),
                "the agent's environment: " + environment);
        assertTrue(environment.contains("MALLOC_MMAP_THRESHOLD_=" + System.getenv().getOrDefault("MALLOC_MMAP_THRESHOLD_", "16384")),
                "the agent's environment: " + environment);
    }

    @Test
    void jvmOptionsNameTheSettingsAndKeepTheCallersValue() throws Exception {
        Path home = Distribution.copyInto(scratch);

        Result defaults = Distribution.run(home, scratch, LIMIT, null,
                "/usr/bin/env", "-u", "MALLOC_ARENA_MAX", "-u", "MALLOC_MMAP_THRESHOLD_", home.resolve("bin/guest-agent").toString(), "--jvm-options");
        Result callers = Distribution.run(home, scratch, LIMIT, null,
                "/usr/bin/env", "MALLOC_MMAP_THRESHOLD_=65536", home.resolve("bin/guest-agent").toString(), "--jvm-options");

        assertEquals(0, defaults.code(), defaults.toString());
        assertTrue(defaults.out().lines().toList().contains("MALLOC_MMAP_THRESHOLD_=16384"), defaults.toString());
        assertTrue(defaults.out().lines().toList().contains("MALLOC_ARENA_MAX=2"), defaults.toString());
        assertEquals(0, callers.code(), callers.toString());
        assertTrue(callers.out().lines().toList().contains("MALLOC_MMAP_THRESHOLD_=65536"), callers.toString());
    }
}
