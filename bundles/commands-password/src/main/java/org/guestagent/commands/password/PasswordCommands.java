package org.guestagent.commands.password;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Arrays;
import java.util.Base64;

import javax.crypto.BadPaddingException;
import javax.crypto.IllegalBlockSizeException;

import org.guestagent.api.Command;
import org.guestagent.api.CommandArgument;
import org.guestagent.api.CommandContext;
import org.guestagent.api.CommandException;
import org.guestagent.api.CommandResult;
import org.guestagent.api.CommandSet;
import org.guestagent.api.platform.NativePlatform;
import org.guestagent.api.system.GuestFiles;
import org.guestagent.api.system.SystemActions;
import org.guestagent.commands.password.crypto.DiffieHellman;
import org.guestagent.commands.password.crypto.PasswordCipher;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code keyinit} and {@code password} (PROTOCOL.md section 3): the host and the agent agree on
 * a key by Diffie-Hellman, then the host sends root's new password encrypted with it. The key
 * belongs to the exchange the keyinit came through and is forgotten after a successful change.
 * Nothing secret (password, shared secret, key, ciphertext) is ever logged or answered.
 */
@Component(service = CommandSet.class)
public class PasswordCommands implements CommandSet {

    static final String NO_KEY = "Password without key exchange";
    static final String NOT_BASE64 = "Couldn't decode base64 data";
    static final String INVALID_DATA = "Invalid password data received";
    /** libxcrypt refuses passphrases of CRYPT_MAX_PASSPHRASE_SIZE (512) bytes or more. */
    static final int MAX_PASSWORD_BYTES = 511;
    /** The longest ciphertext such a password gives: with the host's newline, plus a block of padding. */
    static final int MAX_CIPHERTEXT_BYTES = MAX_PASSWORD_BYTES + 1 + 16;

    private static final System.Logger LOG = System.getLogger(PasswordCommands.class.getName());

    private final SecureRandom random;
    private final RootPassword rootPassword;

    @Activate
    public PasswordCommands(@Reference(name = "files") GuestFiles files, @Reference(name = "actions") SystemActions actions,
            @Reference(name = "platform") NativePlatform platform) {
        this(files, actions, platform, new SecureRandom(), Clock.systemUTC());
    }

    PasswordCommands(GuestFiles files, SystemActions actions, NativePlatform platform, SecureRandom random, Clock clock) {
        this.random = random;
        this.rootPassword = new RootPassword(files, actions, platform, random, clock);
    }

    // secret: the host's public key is no secret, but no key of the exchange belongs in a log
    @Command(value = "keyinit", secret = true)
    public CommandResult keyinit(CommandArgument argument, CommandContext context) {
        BigInteger hostKey;
        try {
            hostKey = DiffieHellman.parsePublicKey(hostKeyText(argument));
        } catch (IllegalArgumentException e) {
            keyExchange(context).replace(null); // a failed keyinit also ends the previous exchange's key
            throw new CommandException("Invalid keyinit: " + e.getMessage());
        }
        DiffieHellman agent = DiffieHellman.generate(random);
        // the session is asked only now: a keyinit that passed its timeout (the host got a 500 and may
        // have sent another) can no longer change it, and so never replaces the key of a later keyinit
        keyExchange(context).replace(new PasswordCipher(agent.sharedSecret(hostKey)));
        LOG.log(System.Logger.Level.DEBUG, "Key agreed for request " + context.requestId() + " on " + context.session().name());
        return new CommandResult("D0", agent.publicKey().toString());
    }

    @Command(value = "password", secret = true)
    public String password(CommandArgument argument, CommandContext context) {
        KeyExchange exchange = keyExchange(context);
        PasswordCipher cipher = exchange.current();
        if (cipher == null) {
            throw new CommandException(NO_KEY);
        }
        byte[] plain = decrypt(cipher, argument);
        char[] password = null;
        try {
            password = checkedPassword(plain);
            rootPassword.set(password);
        } finally {
            Arrays.fill(plain, (byte) 0);
            if (password != null) {
                Arrays.fill(password, '\0');
            }
        }
        exchange.forget(cipher);
        LOG.log(System.Logger.Level.INFO, "Root password set for request " + context.requestId());
        return "";
    }

    /** The host key as decimal text: a string, or an integer JSON number from old hosts. */
    private static String hostKeyText(CommandArgument argument) {
        if (argument.kind() == CommandArgument.Kind.TEXT) {
            return argument.text().strip();
        }
        if (argument.kind() == CommandArgument.Kind.NUMBER) {
            return argument.asText();
        }
        throw new IllegalArgumentException("The public key must be a decimal number, given as a string or a number");
    }

    private static byte[] decrypt(PasswordCipher cipher, CommandArgument argument) {
        String text = argument.text();
        if (text == null) {
            throw new CommandException(NOT_BASE64);
        }
        byte[] encrypted;
        try {
            // openssl without -A breaks lines every 64 characters; any whitespace is allowed
            encrypted = Base64.getDecoder().decode(text.replaceAll("\\s+", ""));
        } catch (IllegalArgumentException e) {
            throw new CommandException(NOT_BASE64);
        }
        if (encrypted.length > MAX_CIPHERTEXT_BYTES) {
            throw new CommandException("Invalid password data received: longer than a password of at most "
                    + MAX_PASSWORD_BYTES + " bytes can be");
        }
        try {
            return cipher.decrypt(encrypted);
        } catch (IllegalBlockSizeException | BadPaddingException e) {
            throw new CommandException(INVALID_DATA);
        }
    }

    /** Strips the host's trailing newlines and refuses what cannot be a login password. */
    private static char[] checkedPassword(byte[] plain) {
        int length = plain.length;
        while (length > 0 && plain[length - 1] == '\n') {
            length--;
        }
        if (length == 0) {
            throw new CommandException("The password is empty; refusing to set an empty root password");
        }
        if (length > MAX_PASSWORD_BYTES) {
            throw new CommandException("The password is too long: at most " + MAX_PASSWORD_BYTES + " bytes are possible");
        }
        for (int i = 0; i < length; i++) {
            if (plain[i] == 0) {
                throw new CommandException("The password contains a NUL byte, which a Unix password cannot hold");
            }
            if ((plain[i] & 0xff) < 0x20 || plain[i] == 0x7f) {
                throw new CommandException("The password contains control characters (such as a line break inside)");
            }
        }
        CharBuffer chars;
        try {
            chars = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(plain, 0, length));
        } catch (CharacterCodingException e) {
            throw new CommandException("The password is not valid UTF-8 text");
        }
        char[] password = new char[chars.remaining()];
        chars.get(password);
        if (chars.hasArray()) {
            Arrays.fill(chars.array(), '\0');
        }
        return password;
    }

    private static KeyExchange keyExchange(CommandContext context) {
        return context.session().computeIfAbsent(KeyExchange.SESSION_KEY, KeyExchange.class, KeyExchange::new);
    }
}
