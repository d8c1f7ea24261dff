package org.guestagent.benchmark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

class ProcStatsTest {
    private static final String ROLLUP = """
            55d1c0a3a000-7ffd3b5f4000 ---p 00000000 00:00 0                          [rollup]
            Rss:               64276 kB
            Pss:               47217 kB
            Pss_Dirty:         44428 kB
            Pss_Anon:          42852 kB
            Pss_File:           4365 kB
            Shared_Clean:      17000 kB
            Anonymous:         43008 kB
            Swap:                  0 kB
            """;

    @Test
    void smapsRollupGivesRssAnonymousAndPssInMiB() {
        ProcStats.Memory memory = ProcStats.parseSmapsRollup(ROLLUP);
        assertEquals(64276 / 1024.0, memory.rssMiB(), 1e-9);
        assertEquals(42.0, memory.anonMiB(), 1e-9); // not Pss_Anon
        assertEquals(47217 / 1024.0, memory.pssMiB(), 1e-9);
    }

    @Test
    void smapsRollupWithoutAnonymousIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> ProcStats.parseSmapsRollup("Rss: 10 kB\nPss: 5 kB\n"));
    }

    @Test
    void statusGivesVoluntaryPlusNonvoluntarySwitches() {
        String status = "Name:\tjava\nState:\tS (sleeping)\nvoluntary_ctxt_switches:\t1234\nnonvoluntary_ctxt_switches:\t56\n";
        assertEquals(1290, ProcStats.parseContextSwitches(status));
        assertThrows(IllegalArgumentException.class, () -> ProcStats.parseContextSwitches("Name:\tjava\nvoluntary_ctxt_switches:\t3\n"));
    }

    @Test
    void statCountsFieldsAfterTheCommandNameEvenWithSpacesAndParentheses() {
        // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
        String stat = "4242 (odd) name (x)) S 1 4242 4242 0 -1 4194560 900 0 3 0 171 29 0 0 20 0 35 0 123 456\n";
        assertEquals(200, ProcStats.parseCpuTicks(stat));
    }

    @Test
    void switchesBetweenCountsNewThreadsWholeAndIgnoresEndedOnes() {
        Map<String, Long> before = Map.of("100", 10L, "101", 50L);
        Map<String, Long> after = Map.of("100", 15L, "102", 7L); // 101 ended, 102 began
        assertEquals(5 + 7, ProcStats.switchesBetween(before, after));
    }

    @Test
    void switchesByNameAddsThreadsOfOneNameAndSortsMostFirst() {
        Map<String, Long> before = Map.of("1", 100L, "2", 10L, "3", 0L);
        Map<String, Long> after = Map.of("1", 101L, "2", 14L, "3", 3L, "4", 2L);
        Map<String, String> names = Map.of("1", "main", "2", "worker", "3", "worker", "4", "timer");
        Map<String, Long> byName = ProcStats.switchesByName(before, after, names);
        assertEquals(java.util.List.of("worker", "timer", "main"), java.util.List.copyOf(byName.keySet()));
        assertEquals(7L, byName.get("worker"));
        assertEquals("worker 7, timer 2", new ProcStats.Idle(0, 0, byName).busiest(2));
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void readsThisProcess() throws Exception {
        long pid = ProcessHandle.current().pid();
        ProcStats.Memory memory = ProcStats.Memory.of(pid);
        assertTrue(memory.rssMiB() > 0 && memory.anonMiB() > 0 && memory.anonMiB() <= memory.rssMiB(), memory.toString());

        Map<String, Long> before = ProcStats.contextSwitches(pid);
        assertTrue(before.containsKey(Long.toString(pid)), "the main thread's task is listed: " + before.keySet());
        for (int i = 0; i < 20; i++) {
            Thread.sleep(1); // each sleep gives the CPU up: a voluntary switch
        }
        long switched = ProcStats.switchesBetween(before, ProcStats.contextSwitches(pid));
        assertTrue(switched >= 20, "switches seen after 20 sleeps: " + switched);

        long ticks = ProcStats.cpuTicks(pid);
        long deadline = System.nanoTime() + 30_000_000_000L;
        long spin = 0;
        while (ProcStats.cpuTicks(pid) == ticks && System.nanoTime() < deadline) {
            spin++;
        }
        assertTrue(ProcStats.cpuTicks(pid) > ticks, "CPU ticks did not grow while spinning (" + spin + " loops)");
        assertTrue(ProcStats.clockTicksPerSecond() > 0);
        Map<String, String> names = ProcStats.threadNames(pid);
        assertEquals(before.keySet().contains(Long.toString(pid)), names.containsKey(Long.toString(pid)));
        assertTrue(names.values().stream().noneMatch(String::isEmpty), "every thread has its name: " + names);
    }
}
