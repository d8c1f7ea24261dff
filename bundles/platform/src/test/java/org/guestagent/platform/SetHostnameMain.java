package org.guestagent.platform;

import java.nio.file.Files;
import java.nio.file.Path;

/** Run in a private UTS namespace by the test: sets the hostname and prints what the kernel says. */
public final class SetHostnameMain {
    public static void main(String[] args) throws Exception {
        new JnaNativePlatform().setHostname(args[0]);
        System.out.println(Files.readString(Path.of("/proc/sys/kernel/hostname")).strip());
    }
}
