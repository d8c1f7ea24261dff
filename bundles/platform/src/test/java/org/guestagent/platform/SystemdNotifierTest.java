package org.guestagent.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.guestagent.api.runtime.PairingRegistry.PairInfo;
import org.junit.jupiter.api.Test;

class SystemdNotifierTest {

    @Test
    void theWatchdogIsOursOnlyWhenWatchdogPidIsAbsentOrOurs() {
        assertEquals(30_000_000, SystemdNotifier.watchdogMicros(Map.of("WATCHDOG_USEC", "30000000"), 42));
        assertEquals(30_000_000, SystemdNotifier.watchdogMicros(Map.of("WATCHDOG_USEC", "30000000", "WATCHDOG_PID", "42"), 42));
        assertEquals(0, SystemdNotifier.watchdogMicros(Map.of("WATCHDOG_USEC", "30000000", "WATCHDOG_PID", "7"), 42),
                "a watchdog meant for another process (our parent, a wrapper) is not ours");
        assertEquals(0, SystemdNotifier.watchdogMicros(Map.of(), 42));
        assertEquals(0, SystemdNotifier.watchdogMicros(Map.of("WATCHDOG_USEC", "soon"), 42));
        assertEquals(0, SystemdNotifier.watchdogMicros(Map.of("WATCHDOG_USEC", "-5"), 42));
    }

    @Test
    void statusNamesEachPairWithItsAnsweredRequests() {
        assertEquals("Serving nova-json on xenstore:/dev/xen/xenbus (12 answered), qga on virtio:org.qemu.guest_agent.0 (0 answered)",
                SystemdNotifier.status(List.of(
                        new PairInfo("nova-json", "xenstore:/dev/xen/xenbus", "nova", 12, 1, Instant.EPOCH),
                        new PairInfo("qga", "virtio:org.qemu.guest_agent.0", "qga", 0, 0, null))));
        assertEquals("No pair serves: no exchange with a parser of its protocol", SystemdNotifier.status(List.of()));
    }
}
