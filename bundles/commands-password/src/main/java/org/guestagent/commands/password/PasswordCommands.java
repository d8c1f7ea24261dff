package org.guestagent.commands.password;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;

import javax.crypto.BadPaddingException;
import javax.crypto.IllegalBlockSizeException;

import org.guestagent.api.command.Command;
import org.guestagent.api.command.CommandArgument;
import org.guestagent.api.command.CommandContext;
import org.guestagent.api.command.CommandException;
import org.guestagent.api.command.CommandResult;
import org.guestagent.api.command.CommandSet;
import org.guestagent.api.command.ServesCommands;
import org.guestagent.commands.password.crypto.DiffieHellman;
import org.guestagent.commands.password.crypto.PasswordCipher;
import org.guestagent.ops.password.PasswordChangeException;
import org.guestagent.ops.password.UserPasswords;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code keyinit} and {@code password} (docs/PROTOCOL.md section 3): the host and the agent agree on
 * a key by Diffie-Hellman, then the host sends root's new password encrypted with it, the key
 * derived with MD5 or SHA-256 as the host's OpenSSL does (both are tried). The key belongs to the
 * exchange the keyinit came through and is forgotten after a successful change, or after the third
 * failed password request. Every failure to decrypt answers one text, so answers are no padding
 * oracle. Nothing secret (password, shared secret, key, ciphertext) is ever logged or answered.
 */
@Component(service = CommandSet.class)
@ServesCommands(commands = { "keyinit", "password" }, protocols = "nova-json")
public class PasswordCommands implements CommandSet {

    /** nova's return code of a successful keyinit, which its parser puts on the wire as is. */
    static final String KEYINIT_CODE = "D0";
    static final String NO_KEY = "Password without key exchange";
    static final String NOT_BASE64 = "Couldn't decode base64 data";
    static final String INVALID_DATA = "Invalid password data received";
    /** libxcrypt refuses passphrases of CRYPT_MAX_PASSPHRASE_SIZE (512) bytes or more. */
    static final int MAX_PASSWORD_BYTES = 511;
    /** The longest ciphertext such a password gives: with the host's newline, plus a block of padding. */
    static final int MAX_CIPHERTEXT_BYTES = MAX_PASSWORD_BYTES + 1 + 16;

    private static final System.Logger LOG = System.getLogger(PasswordCommands.class.getName());

    private static final String USER = "root";

    private final SecureRandom random;
    private final UserPasswords passwords;

    @Activate
    public PasswordCommands(@Reference(name = "passwords") UserPasswords passwords) {
        this(passwords, new SecureRandom());
    }

    PasswordCommands(UserPasswords passwords, SecureRandom random) {
        this.random = random;
        this.passwords = passwords;
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
        keyExchange(context).replace(new KeyExchange.Key(agent.sharedSecret(hostKey)));
        LOG.log(System.Logger.Level.DEBUG, "Key agreed for request " + context.requestId() + " on " + context.session().name());
        return CommandResult.ok(agent.publicKey().toString()).withDetail(KEYINIT_CODE);
    }

    @Command(value = "password", secret = true)
    public String password(CommandArgument argument, CommandContext context) {
        KeyExchange exchange = keyExchange(context);
        KeyExchange.Key key = exchange.current();
        if (key == null) {
            throw new CommandException(NO_KEY);
        }
        char[] password;
        try {
            password = decrypt(key, argument);
        } catch (Refused e) {
            // one text for every failure, so the answer tells nothing about padding or plaintext
            boolean dropped = exchange.failed(key);
            LOG.log(System.Logger.Level.INFO, "Password request " + context.requestId() + " refused: " + e.getMessage()
                    + (dropped ? "; " + KeyExchange.FAILURES_ALLOWED + " failures with this key, so it is dropped and the host must send keyinit again" : ""));
            throw new CommandException(e.answer);
        }
        try {
            passwords.setPassword(USER, password);
        } catch (PasswordChangeException e) {
            throw new CommandException(e.getMessage());
        } finally {
            Arrays.fill(password, '\0');
        }
        exchange.forget(key);
        LOG.log(System.Logger.Level.INFO, "Root password set for request " + context.requestId());
        return "";
    }

    /** A password request refused: the answer the host gets, and the reason for the log (nothing secret). */
    private static final class Refused extends Exception {
        final String answer;

        Refused(String answer, String reason) {
            super(reason, null, false, false);
            this.answer = answer;
        }
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

    /**
     * Decrypts with both key derivations and takes the one whose result is a password as the host
     * sends it: valid PKCS#7 padding, then text ending in a newline. With the wrong derivation
     * that happens about once in 2^16 tries for padding and newline alone, so the rest must be
     * a valid password too; if both derivations (or neither) fit, the data is refused.
     */
    private static char[] decrypt(KeyExchange.Key key, CommandArgument argument) throws Refused {
        String text = argument.text();
        if (text == null) {
            throw new Refused(NOT_BASE64, "the value is not a string");
        }
        byte[] encrypted;
        try {
            // openssl without -A breaks lines every 64 characters; any whitespace is allowed
            encrypted = Base64.getDecoder().decode(text.replaceAll("\\s+", ""));
        } catch (IllegalArgumentException e) {
            throw new Refused(NOT_BASE64, "not base64");
        }
        if (encrypted.length > MAX_CIPHERTEXT_BYTES) {
            throw new Refused(INVALID_DATA, encrypted.length + " bytes, longer than a password of at most "
                    + MAX_PASSWORD_BYTES + " bytes can be");
        }
        Candidate md5 = candidate(key.md5, encrypted);
        Candidate sha256 = candidate(key.sha256, encrypted);
        if (md5.password != null && sha256.password != null) {
            md5.wipe();
            sha256.wipe();
            throw new Refused(INVALID_DATA, "both key derivations give a password");
        }
        if (md5.password != null) {
            return md5.password;
        }
        if (sha256.password != null) {
            return sha256.password;
        }
        throw new Refused(INVALID_DATA, "MD5 key: " + md5.problem + "; SHA-256 key: " + sha256.problem);
    }

    /** What one key derivation makes of the data: a password, or why not (never the plaintext). */
    private record Candidate(char[] password, String problem) {
        void wipe() {
            if (password != null) {
                Arrays.fill(password, '\0');
            }
        }
    }

    private static Candidate candidate(PasswordCipher cipher, byte[] encrypted) {
        byte[] plain;
        try {
            plain = cipher.decrypt(encrypted);
        } catch (IllegalBlockSizeException e) {
            return new Candidate(null, "not whole 16-byte blocks");
        } catch (BadPaddingException e) {
            return new Candidate(null, "no valid padding");
        }
        try {
            return new Candidate(checkedPassword(plain), null);
        } catch (IllegalArgumentException e) {
            return new Candidate(null, e.getMessage());
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
    }

    /** Strips the host's trailing newline(s) and refuses what cannot be a login password. */
    private static char[] checkedPassword(byte[] plain) {
        int length = plain.length;
        if (length == 0 || plain[length - 1] != '\n') {
            throw new IllegalArgumentException("the text does not end in a newline");
        }
        while (length > 0 && plain[length - 1] == '\n') {
            length--;
        }
        if (length == 0) {
            throw new IllegalArgumentException("the password is empty");
        }
        if (length > MAX_PASSWORD_BYTES) {
            throw new IllegalArgumentException("the password is longer than " + MAX_PASSWORD_BYTES + " bytes");
        }
        for (int i = 0; i < length; i++) {
            if ((plain[i] & 0xff) < 0x20 || plain[i] == 0x7f) {
                throw new IllegalArgumentException("the password contains a NUL or control byte");
            }
        }
        CharBuffer chars;
        try {
            chars = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(plain, 0, length));
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("the password is not valid UTF-8");
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
