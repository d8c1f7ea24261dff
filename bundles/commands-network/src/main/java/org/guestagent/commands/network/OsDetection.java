package org.guestagent.commands.network;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.guestagent.api.system.GuestFiles;
import org.guestagent.commands.network.spi.OsRelease;

/** Which OS the guest runs, from os-release, or the older release files where there is none. */
final class OsDetection {

    private static final Pattern RELEASE = Pattern.compile("release\\s+(\\d+(\\.\\d+)?)");

    private OsDetection() {
    }

    static OsRelease detect(GuestFiles files) throws IOException {
        for (String path : List.of("/etc/os-release", "/usr/lib/os-release")) {
            String text = CommonFiles.text(files, path);
            if (text != null) {
                return OsRelease.parse(text);
            }
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
