package org.guestagent.commands.password;

import java.math.BigInteger;
import java.nio.file.Path;
import java.util.Base64;

import org.guestagent.api.command.CommandArgument;
import org.guestagent.api.platform.NativePlatform;
import org.guestagent.commands.password.crypto.PasswordCipher;
import org.guestagent.platform.JnaNativePlatform;

/**
 * The child process of the crash test: an agent that changes root's password below a scratch
 * root again and again, alternating two passwords, until it is killed (or has done the count).
 * Prints "ready" once set up, starts on a line "go" on its input, and prints "changed" after
 * every completed change. Arguments: scratch root, count, warm-up folder, "native" for the
 * system's crypt(3) through JNA or "java" for {@link StandInCrypt}.
 */
public final class PasswordChangeLoop {

    static final String[] PASSWORDS = {"crash-alpha", "crash-bravo"};

    public static void main(String[] args) throws Exception {
        java.util.logging.LogManager.getLogManager().reset(); // keep stderr quiet
        NativePlatform platform = args[3].equals("native") ? new JnaNativePlatform() : new StandInCrypt();
        ScratchGuest guest = new ScratchGuest(Path.of(args[0]), platform);
        int count = Integer.parseInt(args[1]);
        TestSession session = new TestSession("crash");
        // one change on a throw-away guest first loads every class, so that the kills land in the loop
        ScratchGuest warmUp = new ScratchGuest(Path.of(args[2]), platform).withShadow("root:*:1::::::\n");
        change(warmUp, new TestSession("warm-up"), "warm-up");
        System.out.println("ready");
        System.out.flush();
        new java.io.BufferedReader(new java.io.InputStreamReader(System.in)).readLine(); // "go"
        for (int i = 0; i < count; i++) {
            change(guest, session, PASSWORDS[i % 2]);
            System.out.println("changed");
            System.out.flush();
        }
    }

    private static void change(ScratchGuest guest, TestSession session, String password) {
        BigInteger secret = guest.keyinit(session);
        String encrypted = Base64.getEncoder().encodeToString(new PasswordCipher(secret).encrypt((password + "\n").getBytes()));
        guest.commands.password(CommandArgument.of(encrypted), session.request());
    }
}
