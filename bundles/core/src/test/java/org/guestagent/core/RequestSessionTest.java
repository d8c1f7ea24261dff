package org.guestagent.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.guestagent.api.command.MapSession;
import org.junit.jupiter.api.Test;

class RequestSessionTest {

    @Test
    void changesReachThePairsSessionUntilRevokedThenOnlyReadsDo() {
        MapSession pair = new MapSession("pair");
        RequestSession view = new RequestSession(pair, "r1");
        view.put("key", "first");
        assertEquals("first", pair.get("key", String.class));

        view.revoke();
        assertThrows(IllegalStateException.class, () -> view.put("key", "late"));
        assertThrows(IllegalStateException.class, () -> view.remove("key"));
        assertThrows(IllegalStateException.class, () -> view.computeIfAbsent("other", String.class, () -> "late"));
        assertEquals("first", view.get("key", String.class));
        assertEquals("first", pair.get("key", String.class));
        assertEquals(null, pair.get("other", String.class));
    }
}
