package org.guestagent.launcher;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The features' names since they carry the guest-agent- prefix (Karaf's feature names are global,
 * and Karaf has its own "shell"). The names before it are still taken for one release, with a
 * warning: configurations and scripts that say core,xen,shell keep working.
 */
final class FeatureNames {
    static final String CONSOLE = "guest-agent-console";
    /** Old name to new name; remove after release 0.2. */
    static final Map<String, String> OLD_NAMES = Map.of(
            "core", "guest-agent-core",
            "xen", "guest-agent-xen",
            "kvm", "guest-agent-kvm",
            "dev", "guest-agent-dev",
            "shell", "guest-agent-shell",
            "console", CONSOLE);

    private FeatureNames() {
    }

    /** The names with every old one replaced by its new one; a warning for each old one is added to {@code warnings}. */
    static List<String> current(List<String> names, List<String> warnings) {
        List<String> result = new ArrayList<>();
        for (String name : names) {
            String renamed = OLD_NAMES.get(name);
            if (renamed != null) {
                warnings.add("feature '" + name + "' is now called '" + renamed + "'; the old name will not be accepted after this release");
            }
            String current = renamed != null ? renamed : name;
            if (!result.contains(current)) {
                result.add(current);
            }
        }
        return result;
    }
}
