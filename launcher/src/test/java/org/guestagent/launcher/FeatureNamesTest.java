package org.guestagent.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class FeatureNamesTest {

    @Test
    void formerNamesAreReplacedWithAWarningEach() {
        List<String> warnings = new ArrayList<>();
        List<String> names = FeatureNames.current(List.of("core", "guest-agent-xen", "shell", "guest-agent-core", "vendor-x"), warnings);
        assertEquals(List.of("guest-agent-core", "guest-agent-xen", "guest-agent-shell", "vendor-x"), names);
        assertEquals(List.of(
                "feature 'core' is now called 'guest-agent-core'; the old name will not be accepted after this release",
                "feature 'shell' is now called 'guest-agent-shell'; the old name will not be accepted after this release"), warnings);
    }

    @Test
    void currentNamesPassWithoutWarning() {
        List<String> warnings = new ArrayList<>();
        assertEquals(Settings.DEFAULT_FEATURES, FeatureNames.current(Settings.DEFAULT_FEATURES, warnings));
        assertTrue(warnings.isEmpty(), warnings.toString());
    }

    /** Every former name leads to a feature of the shipped descriptor, with the same bundles as its new name. */
    @Test
    void everyFormerNameExistsInTheShippedDescriptor() throws Exception {
        Path shipped = Path.of("../features/target/feature/features.xml");
        Assumptions.assumeTrue(Files.exists(shipped), "features module not built yet");
        FeaturesFile file = FeaturesFile.read(shipped);
        for (String renamed : FeatureNames.OLD_NAMES.values()) {
            assertTrue(file.names().contains(renamed), renamed + " not in " + file.names());
        }
        assertTrue(file.names().containsAll(Settings.DEFAULT_FEATURES.stream().filter(f -> !f.equals(HostChannels.AUTO)).toList()), file.names().toString());
    }
}
