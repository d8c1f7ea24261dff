package org.guestagent.exchange.xenstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

/** The bookkeeping of the agent's answers, on a clock the test moves. */
class AnswerHousekeepingTest {

    private final AtomicLong now = new AtomicLong();
    private final AnswerHousekeeping answers = new AnswerHousekeeping(Duration.ofSeconds(600), 20, now::get);

    private void after(Duration d) {
        now.addAndGet(d.toNanos());
    }

    @Test
    void anAnswerGoesOnceOlderThanItsLifetimeAndNotBefore() {
        answers.written("a");
        after(Duration.ofSeconds(300));
        answers.written("b");
        after(Duration.ofSeconds(299));
        assertEquals(List.of(), answers.expired(), "599 s: still there for a host that waits 300 s");
        after(Duration.ofSeconds(1));
        assertEquals(List.of("a"), answers.expired());
        assertEquals(List.of(), answers.expired(), "forgotten once handed out");
        after(Duration.ofSeconds(299));
        assertEquals(List.of(), answers.expired(), "b is 599 s old");
        after(Duration.ofSeconds(1));
        assertEquals(List.of("b"), answers.expired());
        assertEquals(0, answers.size());
    }

    @Test
    void answersFoundAtStartAgeFromThen() {
        after(Duration.ofDays(3));
        answers.found(List.of("old-1", "old-2"));
        after(Duration.ofSeconds(599));
        assertEquals(List.of(), answers.expired());
        after(Duration.ofSeconds(1));
        assertEquals(List.of("old-1", "old-2"), answers.expired());
    }

    @Test
    void theOldestMakeRoomWithATenthOfTheCapToSpare() {
        for (int i = 0; i < 19; i++) {
            answers.written("a" + i);
        }
        assertFalse(answers.wouldPassCap(1));
        assertTrue(answers.wouldPassCap(2));
        List<String> removed = answers.makeRoom(2);
        assertEquals(List.of("a0", "a1", "a2"), removed, "of 19, 20 - 2 coming - 2 spare = 16 kept");
        assertEquals(16, answers.size());
        assertEquals(List.of(), answers.makeRoom(2), "nothing more when there is room");
    }

    @Test
    void anAnswerWrittenAgainMovesToTheEnd() {
        for (int i = 0; i < 3; i++) {
            answers.written("a" + i);
        }
        answers.written("a0");
        assertEquals(3, answers.size());
        after(Duration.ofSeconds(600));
        assertEquals(List.of("a1", "a2", "a0"), answers.expired());
    }
}
