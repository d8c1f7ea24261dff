package org.guestagent.commands.password;

import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;

import org.guestagent.api.command.CommandArgument;
import org.guestagent.api.command.CommandResult;
import org.guestagent.api.platform.NativePlatform;
import org.guestagent.ops.password.shadow.ShadowPasswords;
import org.guestagent.platform.JnaNativePlatform;

/** The password operation's scratch guest (a Debian-like /etc/shadow), with the agent's password commands on it. */
final class ScratchGuest extends org.guestagent.ops.password.shadow.ScratchGuest {
    final PasswordCommands commands;

    ScratchGuest(Path root) {
        this(root, new JnaNativePlatform());
    }

    ScratchGuest(Path root, NativePlatform platform) {
        super(root, platform);
        this.commands = new PasswordCommands(new ShadowPasswords(files, actions, platform, new SecureRandom(), CLOCK),
                new SecureRandom());
    }

    @Override
    public ScratchGuest withShadow(String content) throws IOException {
        super.withShadow(content);
        return this;
    }

    @Override
    public ScratchGuest withFile(String path, String content) throws IOException {
        super.withFile(path, content);
        return this;
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
