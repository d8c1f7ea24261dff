package org.guestagent.commands.qga;

import static org.guestagent.commands.qga.QgaArguments.Type.BOOLEAN;
import static org.guestagent.commands.qga.QgaArguments.Type.STRING;
import static org.guestagent.commands.qga.QgaArguments.required;

import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.guestagent.api.command.Command;
import org.guestagent.api.command.CommandArgument;
import org.guestagent.api.command.CommandContext;
import org.guestagent.api.command.CommandException;
import org.guestagent.api.command.CommandSet;
import org.guestagent.api.command.ServesCommands;
import org.guestagent.ops.password.PasswordChangeException;
import org.guestagent.ops.password.UserPasswords;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** guest-set-user-password: any user, plain or crypted, through the password operation service. */
@Component(service = CommandSet.class)
@ServesCommands(commands = "guest-set-user-password", protocols = "qga")
public class QgaPasswordCommands implements CommandSet {
    private static final System.Logger LOG = System.getLogger(QgaPasswordCommands.class.getName());
    /** qemu-ga's text for every failure to set the password (the reason goes to the log). */
    static final String FAILED = "child process has failed to set user password";

    private final UserPasswords passwords;

    @Activate
    public QgaPasswordCommands(@Reference(name = "passwords") UserPasswords passwords) {
        this.passwords = passwords;
    }

    @Command(value = "guest-set-user-password", secret = true)
    public String setUserPassword(CommandArgument argument, CommandContext context) {
        QgaArguments args = QgaArguments.check(argument, required("username", STRING), required("password", STRING),
                required("crypted", BOOLEAN));
        String user = args.string("username");
        byte[] raw = Base64Text.decode(args.string("password"));
        try {
            if (args.bool("crypted")) {
                passwords.setCryptedPassword(user, new String(raw, StandardCharsets.UTF_8));
            } else {
                char[] password = utf8(raw);
                try {
                    passwords.setPassword(user, password);
                } finally {
                    Arrays.fill(password, '\0');
                }
            }
        } catch (PasswordChangeException e) {
            LOG.log(Level.WARNING, "request {0}: password of {1} not set: {2}", context.requestId(), user, e.getMessage());
            throw new CommandException(FAILED);
        } finally {
            Arrays.fill(raw, (byte) 0);
        }
        return "{}";
    }

    private static char[] utf8(byte[] raw) {
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(raw));
            char[] password = new char[chars.remaining()];
            chars.get(password);
            Arrays.fill(chars.array(), '\0');
            return password;
        } catch (CharacterCodingException e) {
            throw new CommandException("password is not valid UTF-8");
        }
    }
}
