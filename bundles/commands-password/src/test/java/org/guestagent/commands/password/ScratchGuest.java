package org.guestagent.commands.password;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

import org.guestagent.api.command.CommandArgument;
import org.guestagent.api.command.CommandResult;
import org.guestagent.api.platform.NativePlatform;
import org.guestagent.ops.password.shadow.ShadowPasswords;
import org.guestagent.platform.JnaNativePlatform;
import org.guestagent.system.LocalGuestFiles;

/** A guest below a scratch root with a Debian-like /etc/shadow, and the agent's password commands on it. */
final class ScratchGuest {

    /** 2026-11-24 as days since 1970, the "last change" the agent writes with the fixed clock. */
    static final long TODAY = 20416;
    static final Clock CLOCK = Clock.fixed(Instant.ofEpochSecond(TODAY * 86400 + 3600), ZoneOffset.UTC);

    static final String SHADOW_BEFORE = "root:$6$oldsaltoldsalt12$0WwHOoVxxbJrHL0xAm2qVDFFDkEiYWXUh3kn1sVq6PiaGuEaCDe/"
            + "xKzwQCCs8sZU8Hl9QeHNHbGp/kbWVdBzr/:19000:0:99999:7:::\n"
            + "daemon:*:19000:0:99999:7:::\n"
            + "bin:*:19000:0:99999:7:::\n"
            + "alice:$y$j9T$HQclkbdBkPnUzlrsIQ.7w1$QyUfwsXgT1ft7b7E/hAPpgm422RFWqxNdcf.NMVJQxA:19500:0:99999:7:::\n"
            + "# a comment and odd bytes stay: caf\u00e9 \t \r\n"
            + "nobody:!:19000::::::\n";

    final Path root;
    final LocalGuestFiles files;
    final FakeSystemActions actions = new FakeSystemActions();
    final NativePlatform platform;
    final PasswordCommands commands;

    ScratchGuest(Path root) {
        this(root, new JnaNativePlatform());
    }

    ScratchGuest(Path root, NativePlatform platform) {
        this.root = root;
        this.platform = platform;
        this.files = new LocalGuestFiles(root);
        this.commands = new PasswordCommands(new ShadowPasswords(files, actions, platform, new SecureRandom(), CLOCK),
                new SecureRandom());
    }

    ScratchGuest withShadow(String content) throws IOException {
        return withFile("etc/shadow", content);
    }

    ScratchGuest withFile(String path, String content) throws IOException {
        Path file = root.resolve(path);
        Files.createDirectories(file.getParent());
        Files.write(file, content.getBytes(StandardCharsets.ISO_8859_1));
        Files.setAttribute(file, "unix:mode", 0640);
        if ("root".equals(System.getProperty("user.name"))) {
            Files.setAttribute(file, "unix:gid", 42, LinkOption.NOFOLLOW_LINKS); // Debian's "shadow" group
        }
        return this;
    }

    Path shadow() {
        return root.resolve("etc/shadow");
    }

    String shadowText() throws IOException {
        return new String(Files.readAllBytes(shadow()), StandardCharsets.ISO_8859_1);
    }

    /** root's hash in the current shadow file. */
    String rootHash() throws IOException {
        return shadowText().lines().filter(l -> l.startsWith("root:")).findFirst().orElseThrow().split(":", -1)[1];
    }

    /** A whole keyinit as the host does it; returns the shared secret the host computed. */
    java.math.BigInteger keyinit(TestSession session) {
        Host host = new Host();
        CommandResult answer = commands.keyinit(CommandArgument.of(host.publicKey.toString()), session.request());
        if (!NovaAnswer.of(answer).code().equals("D0")) {
            throw new AssertionError("keyinit failed: " + answer);
        }
        return host.sharedSecret(answer.message());
    }
}
