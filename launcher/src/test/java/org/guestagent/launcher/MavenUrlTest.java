package org.guestagent.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class MavenUrlTest {

    @Test
    void mapsToTheCopiedFileName() throws Exception {
        assertEquals("core-0.1.0.jar", MavenUrl.fileName("mvn:org.guestagent/core/0.1.0"));
        assertEquals("org.apache.felix.scr-2.2.18.jar", MavenUrl.fileName("mvn:org.apache.felix/org.apache.felix.scr/2.2.18"));
        assertEquals("features-0.1.0-features.xml", MavenUrl.fileName("mvn:org.guestagent/features/0.1.0/xml/features"));
    }

    @Test
    void rejectsOtherLocations() {
        assertThrows(ConfigException.class, () -> MavenUrl.fileName("file:/tmp/a.jar"));
        assertThrows(ConfigException.class, () -> MavenUrl.fileName("mvn:org.guestagent/core"));
    }
}
