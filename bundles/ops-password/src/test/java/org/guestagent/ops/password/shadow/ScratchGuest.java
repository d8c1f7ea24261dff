package org.guestagent.ops.password.shadow;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

import org.guestagent.api.platform.NativePlatform;
import org.guestagent.platform.JnaNativePlatform;
import org.guestagent.system.LocalGuestFiles;

/**
 * A guest below a scratch root with a Debian-like /etc/shadow. Public in the test jar: the password
 * commands' tests build their guest on it.
 */
public class ScratchGuest {

    /** 2026-11-24 as days since 1970, the "last change" the agent writes with the fixed clock. */
    public static final long TODAY = 20416;
    public static final Clock CLOCK = Clock.fixed(Instant.ofEpochSecond(TODAY * 86400 + 3600), ZoneOffset.UTC);

    public static final String SHADOW_BEFORE = "root:$6$oldsaltoldsalt12$0WwHOoVxxbJrHL0xAm2qVDFFDkEiYWXUh3kn1sVq6PiaGuEaCDe/"
            + "xKzwQCCs8sZU8Hl9QeHNHbGp/kbWVdBzr/:19000:0:99999:7:::\n"
            + "daemon:*:19000:0:99999:7:::\n"
            + "bin:*:19000:0:99999:7:::\n"
            + "alice:$y$j9T$HQclkbdBkPnUzlrsIQ.7w1$QyUfwsXgT1ft7b7E/hAPpgm422RFWqxNdcf.NMVJQxA:19500:0:99999:7:::\n"
            + "# a comment and odd bytes stay: caf\u00e9 \t \r\n"
            + "nobody:!:19000::::::\n";

    public final Path root;
    public final LocalGuestFiles files;
    public final FakeSystemActions actions = new FakeSystemActions();
    public final NativePlatform platform;

    public ScratchGuest(Path root) {
        this(root, new JnaNativePlatform());
    }

    public ScratchGuest(Path root, NativePlatform platform) {
        this.root = root;
        this.platform = platform;
        this.files = new LocalGuestFiles(root);
    }

    public ScratchGuest withShadow(String content) throws IOException {
        return withFile("etc/shadow", content);
    }

    public ScratchGuest withFile(String path, String content) throws IOException {
        Path file = root.resolve(path);
        Files.createDirectories(file.getParent());
        Files.write(file, content.getBytes(StandardCharsets.ISO_8859_1));
        Files.setAttribute(file, "unix:mode", 0640);
        if ("root".equals(System.getProperty("user.name"))) {
            Files.setAttribute(file, "unix:gid", 42, LinkOption.NOFOLLOW_LINKS); // Debian's "shadow" group
        }
        return this;
    }

    public Path shadow() {
        return root.resolve("etc/shadow");
    }

    public String shadowText() throws IOException {
        return new String(Files.readAllBytes(shadow()), StandardCharsets.ISO_8859_1);
    }

    /** root's hash in the current shadow file. */
    public String rootHash() throws IOException {
        return shadowText().lines().filter(l -> l.startsWith("root:")).findFirst().orElseThrow().split(":", -1)[1];
    }
}
