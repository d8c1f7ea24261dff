package org.guestagent.launcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Where the start's time went, for the "up" log line: each phase of the launcher in milliseconds,
 * wall time and the CPU time of the whole process (all threads, the compiler's too) in
 * parentheses, and the time from the process's start to main. On a loaded machine the wall time
 * grows and the CPU time hardly does. Both from /proc (CPU in clock ticks, 10 ms steps).
 */
final class StartPhases {
    private static final Path STAT = Path.of("/proc/self/stat");
    /** USER_HZ: 100 on every Linux architecture the agent runs on. */
    private static final long MS_PER_TICK = 10;
    private static final long MAIN = System.nanoTime();
    private static final long MAIN_CPU = cpuMillis();
    private static final List<String> PHASES = new ArrayList<>();
    private static long last = MAIN;
    private static long lastCpu = MAIN_CPU;

    private StartPhases() {
    }

    /** Called first in main: the phases count from here. */
    static void begin() {
        // loading this class took the time
    }

    /** Ends the phase called {@code name} now. */
    static synchronized void mark(String name) {
        long now = System.nanoTime();
        long cpu = cpuMillis();
        PHASES.add(name + " " + (now - last) / 1_000_000 + (cpu < 0 ? "" : " (" + (cpu - lastCpu) + ")"));
        last = now;
        lastCpu = cpu;
    }

    /** E.g. "process start to main 110 ms (cpu 60); settings 12 (10), features 30 (30), ... (ms)". */
    static synchronized String summary() {
        String toMain = ProcessHandle.current().info().startInstant()
                .map(start -> Duration.between(start, Instant.now()).minusNanos(System.nanoTime() - MAIN).toMillis() + " ms")
                .orElse("unknown");
        return "process start to main " + toMain + (MAIN_CPU < 0 ? "" : " (cpu " + MAIN_CPU + ")") + "; "
                + String.join(", ", PHASES) + " (ms)";
    }

    /** The process's CPU time so far (user + system, all threads), or -1 where /proc has no such file. */
    private static long cpuMillis() {
        try {
            String stat = Files.readString(STAT);
            // the fields after the command name, which is in parentheses and may hold spaces
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) * MS_PER_TICK;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
