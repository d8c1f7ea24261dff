package org.guestagent.benchmark;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What Linux's /proc tells about a process: its memory (smaps_rollup), how often its threads
 * were switched out (task/N/status), and the CPU time it used (stat). The parsers take the
 * files' text, so they can be checked on known samples.
 */
final class ProcStats {
    private static final double KIB_PER_MIB = 1024.0;

    private ProcStats() {
    }

    /** Resident, anonymous resident and proportional set size, in MiB. */
    record Memory(double rssMiB, double anonMiB, double pssMiB) {
        static Memory of(long pid) throws IOException {
            return parseSmapsRollup(Files.readString(Path.of("/proc/" + pid + "/smaps_rollup"), StandardCharsets.UTF_8));
        }
    }

    /** The Rss:, Anonymous: and Pss: lines of smaps_rollup (values in kB). */
    static Memory parseSmapsRollup(String text) {
        long rss = -1;
        long anon = -1;
        long pss = -1;
        for (String line : text.split("\n")) {
            String[] parts = line.trim().split("\\s+");
            if (parts.length < 2) {
                continue;
            }
            switch (parts[0]) {
                case "Rss:" -> rss = Long.parseLong(parts[1]);
                case "Anonymous:" -> anon = Long.parseLong(parts[1]);
                case "Pss:" -> pss = Long.parseLong(parts[1]);
                default -> { }
            }
        }
        if (rss < 0 || anon < 0 || pss < 0) {
            throw new IllegalArgumentException("smaps_rollup without Rss:, Anonymous: or Pss:");
        }
        return new Memory(rss / KIB_PER_MIB, anon / KIB_PER_MIB, pss / KIB_PER_MIB);
    }

    /** voluntary_ctxt_switches + nonvoluntary_ctxt_switches of one task's status file. */
    static long parseContextSwitches(String status) {
        long sum = 0;
        int found = 0;
        for (String line : status.split("\n")) {
            if (line.startsWith("voluntary_ctxt_switches:") || line.startsWith("nonvoluntary_ctxt_switches:")) {
                sum += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                found++;
            }
        }
        if (found != 2) {
            throw new IllegalArgumentException("status without both ctxt_switches lines");
        }
        return sum;
    }

    /**
     * utime + stime (fields 14 and 15, in clock ticks) of a stat line. The command name (field 2)
     * is in parentheses and may itself hold spaces and parentheses: fields are counted after the last ')'.
     */
    static long parseCpuTicks(String stat) {
        int end = stat.lastIndexOf(')');
        if (end < 0) {
            throw new IllegalArgumentException("stat without a command name");
        }
        String[] fields = stat.substring(end + 1).trim().split("\\s+");
        // fields[0] is field 3 (state): utime (14) is fields[11], stime (15) fields[12].
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }

    /** Context switches per thread id, over every thread of the process now. */
    static Map<String, Long> contextSwitches(long pid) throws IOException {
        Map<String, Long> perTask = new HashMap<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/" + pid + "/task"))) {
            for (Path task : tasks) {
                try {
                    perTask.put(task.getFileName().toString(), parseContextSwitches(Files.readString(task.resolve("status"))));
                } catch (NoSuchFileException e) {
                    // the thread ended while we listed them
                }
            }
        }
        return perTask;
    }

    /**
     * Switches between two samples: a thread present in both counts its difference, a new one all
     * of its own; a thread that ended in between is lost (its last switches too).
     */
    static long switchesBetween(Map<String, Long> before, Map<String, Long> after) {
        long sum = 0;
        for (Map.Entry<String, Long> task : after.entrySet()) {
            sum += task.getValue() - before.getOrDefault(task.getKey(), 0L);
        }
        return sum;
    }

    static long cpuTicks(long pid) throws IOException {
        return parseCpuTicks(Files.readString(Path.of("/proc/" + pid + "/stat")));
    }

    /** The kernel's clock ticks per second (USER_HZ), from getconf; 100 where it cannot be asked. */
    static long clockTicksPerSecond() {
        try {
            Process getconf = new ProcessBuilder(List.of("getconf", "CLK_TCK")).redirectErrorStream(true).start();
            String out = new String(getconf.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (getconf.waitFor() == 0) {
                return Long.parseLong(out);
            }
        } catch (IOException | NumberFormatException e) {
            // fall through
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 100;
    }

    /**
     * Wake-ups (context switches) per second and share of one core over a quiet period, and the
     * wake-ups per thread name (most first), to tell who wakes.
     */
    record Idle(double wakeupsPerSecond, double corePercent, Map<String, Long> byThread) {
        /** The busiest threads, as "name N, name N, ..." (at most {@code limit}). */
        String busiest(int limit) {
            return byThread.entrySet().stream().filter(e -> e.getValue() > 0).limit(limit)
                    .map(e -> e.getKey() + " " + e.getValue()).collect(java.util.stream.Collectors.joining(", "));
        }
    }

    /**
     * Switches between two samples per thread name (the kernel's comm, at most 15 characters),
     * most first.
     */
    static Map<String, Long> switchesByName(Map<String, Long> before, Map<String, Long> after, Map<String, String> names) {
        Map<String, Long> byName = new HashMap<>();
        for (Map.Entry<String, Long> task : after.entrySet()) {
            String name = names.getOrDefault(task.getKey(), "?");
            byName.merge(name, task.getValue() - before.getOrDefault(task.getKey(), 0L), Long::sum);
        }
        Map<String, Long> sorted = new java.util.LinkedHashMap<>();
        byName.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .forEach(e -> sorted.put(e.getKey(), e.getValue()));
        return sorted;
    }

    /** Thread id to thread name (comm) for every thread of the process now. */
    static Map<String, String> threadNames(long pid) throws IOException {
        Map<String, String> names = new HashMap<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/" + pid + "/task"))) {
            for (Path task : tasks) {
                try {
                    names.put(task.getFileName().toString(), Files.readString(task.resolve("comm")).trim());
                } catch (NoSuchFileException e) {
                    // ended meanwhile
                }
            }
        }
        return names;
    }

    /** Samples two processes over the same period (they run side by side). */
    static Idle[] idleOf(long[] pids, long millis) throws IOException, InterruptedException {
        long ticksPerSecond = clockTicksPerSecond();
        int n = pids.length;
        Map<String, Long>[] switches = newMaps(n);
        long[] ticks = new long[n];
        for (int i = 0; i < n; i++) {
            switches[i] = contextSwitches(pids[i]);
            ticks[i] = cpuTicks(pids[i]);
        }
        long started = System.nanoTime();
        Thread.sleep(millis);
        double seconds = (System.nanoTime() - started) / 1e9;
        Idle[] idle = new Idle[n];
        for (int i = 0; i < n; i++) {
            Map<String, Long> now = contextSwitches(pids[i]);
            long woke = switchesBetween(switches[i], now);
            double cpuSeconds = (cpuTicks(pids[i]) - ticks[i]) / (double) ticksPerSecond;
            idle[i] = new Idle(woke / seconds, 100.0 * cpuSeconds / seconds,
                    switchesByName(switches[i], now, threadNames(pids[i])));
        }
        return idle;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Long>[] newMaps(int n) {
        return new Map[n];
    }
}
