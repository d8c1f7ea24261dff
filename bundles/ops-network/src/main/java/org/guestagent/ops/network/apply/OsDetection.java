package org.guestagent.ops.network.apply;

import java.io.IOException;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.guestagent.api.system.GuestFiles;
import org.guestagent.commands.network.spi.OsRelease;
import org.guestagent.ops.facts.GuestFacts;

/** Which OS the guest runs, from os-release (the guest facts), or the older release files where there is none. */
final class OsDetection {

    private static final Pattern RELEASE = Pattern.compile("release\\s+(\\d+(\\.\\d+)?)");

    private OsDetection() {
    }

    static OsRelease detect(GuestFacts facts, GuestFiles files) throws IOException {
        Map<String, String> release = facts.osRelease();
        if (!release.isEmpty()) {
            String like = release.getOrDefault("ID_LIKE", "").strip().toLowerCase();
            return new OsRelease(release.getOrDefault("ID", "").strip().toLowerCase(),
                    like.isEmpty() ? List.of() : Arrays.asList(like.split("\\s+")), release.getOrDefault("VERSION_ID", "").strip());
        }
        String redhat = CommonFiles.text(files, "/etc/redhat-release");
        if (redhat != null) { // RHEL/CentOS 6 have no os-release
            Matcher m = RELEASE.matcher(redhat);
            return new OsRelease("rhel", List.of("fedora"), m.find() ? m.group(1) : "");
        }
        if (Files.exists(files.resolve("/bin/freebsd-version"))) {
            return new OsRelease("freebsd", List.of(), "");
        }
        return OsRelease.UNKNOWN;
    }
}
