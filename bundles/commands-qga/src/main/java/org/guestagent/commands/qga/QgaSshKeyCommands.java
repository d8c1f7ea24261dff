package org.guestagent.commands.qga;

import static org.guestagent.commands.qga.QgaArguments.Type.BOOLEAN;
import static org.guestagent.commands.qga.QgaArguments.Type.STRING;
import static org.guestagent.commands.qga.QgaArguments.optional;
import static org.guestagent.commands.qga.QgaArguments.required;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.guestagent.api.command.Command;
import org.guestagent.api.command.CommandArgument;
import org.guestagent.api.command.CommandException;
import org.guestagent.api.command.CommandSet;
import org.guestagent.api.command.ServesCommands;
import org.guestagent.api.system.GuestFiles;
import org.guestagent.api.system.WriteOptions;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * guest-ssh-get/-add/-remove-authorized-keys: a user's {@code ~/.ssh/authorized_keys} below the
 * guest root (the user and home from the root's /etc/passwd), written atomically through the seam
 * with qemu-ga's modes (folder 0700, file 0600, owned by the user). A symbolic link at ~/.ssh is
 * refused rather than followed. Texts are qemu-ga 7.2's.
 */
@Component(service = CommandSet.class)
@ServesCommands(commands = { "guest-ssh-get-authorized-keys", "guest-ssh-add-authorized-keys",
        "guest-ssh-remove-authorized-keys" }, protocols = "qga")
public class QgaSshKeyCommands implements CommandSet {
    private record User(String name, int uid, int gid, String home) {
        String keysPath() {
            return (home.endsWith("/") ? home : home + "/") + ".ssh/authorized_keys";
        }
    }

    private final GuestFiles files;

    @Activate
    public QgaSshKeyCommands(@Reference(name = "files") GuestFiles files) {
        this.files = files;
    }

    @Command("guest-ssh-get-authorized-keys")
    public String get(CommandArgument argument) throws IOException {
        QgaArguments args = QgaArguments.check(argument, required("username", STRING));
        User user = user(args.string("username"));
        byte[] content = files.readIfExists(user.keysPath());
        if (content == null) {
            throw new CommandException("failed to read '" + user.keysPath() + "': Failed to open file \u201C" + user.keysPath()
                    + "\u201D: No such file or directory");
        }
        List<Object> keys = new ArrayList<>();
        for (String line : new String(content, StandardCharsets.UTF_8).split("\n")) {
            if (!line.isBlank() && !line.startsWith("#")) {
                keys.add(line);
            }
        }
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("keys", keys);
        return Json.of(result);
    }

    @Command("guest-ssh-add-authorized-keys")
    public String add(CommandArgument argument) throws IOException {
        QgaArguments args = QgaArguments.check(withoutKeys(argument), required("username", STRING), optional("reset", BOOLEAN));
        List<String> keys = keys(argument);
        User user = user(args.string("username"));
        checkKeys(keys);
        List<String> lines = Boolean.TRUE.equals(args.bool("reset")) ? new ArrayList<>() : existing(user);
        for (String key : keys) {
            if (!lines.contains(key)) {
                lines.add(key);
            }
        }
        write(user, lines);
        return "{}";
    }

    @Command("guest-ssh-remove-authorized-keys")
    public String remove(CommandArgument argument) throws IOException {
        QgaArguments args = QgaArguments.check(withoutKeys(argument), required("username", STRING));
        List<String> keys = keys(argument);
        User user = user(args.string("username"));
        checkKeys(keys);
        if (files.readIfExists(user.keysPath()) == null) {
            return "{}"; // nothing to remove, as qemu-ga
        }
        List<String> lines = existing(user);
        lines.removeAll(keys);
        write(user, lines);
        return "{}";
    }

    /** The arguments without "keys" (checked apart: a list of strings), failing as qemu-ga when it is missing. */
    private static CommandArgument withoutKeys(CommandArgument argument) {
        Map<String, Object> given = argument.object() == null ? Map.of() : argument.object();
        Map<String, Object> rest = new LinkedHashMap<>(given);
        rest.remove("keys");
        return CommandArgument.of(rest);
    }

    private static List<String> keys(CommandArgument argument) {
        Map<String, Object> given = argument.object() == null ? Map.of() : argument.object();
        if (!given.containsKey("keys")) {
            throw QgaArguments.invalid("Parameter 'keys' is missing");
        }
        if (!(given.get("keys") instanceof List<?> list)) {
            throw QgaArguments.invalid("Invalid parameter type for 'keys', expected: array");
        }
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof String key)) {
                throw QgaArguments.invalid("Invalid parameter type for 'keys[" + i + "]', expected: string");
            }
            keys.add(key);
        }
        return keys;
    }

    private static void checkKeys(List<String> keys) {
        for (String key : keys) {
            if (key.isEmpty() || key.startsWith("#") || key.contains("\n")) {
                throw new CommandException("invalid OpenSSH public key: '" + key + "'");
            }
        }
    }

    private List<String> existing(User user) throws IOException {
        byte[] content = files.readIfExists(user.keysPath());
        List<String> lines = new ArrayList<>();
        if (content != null) {
            for (String line : new String(content, StandardCharsets.UTF_8).split("\n")) {
                if (!line.isEmpty()) {
                    lines.add(line);
                }
            }
        }
        return lines;
    }

    /**
     * Writes the keys through the seam's link-safe walk: a missing ~/.ssh is made 0700 and given to
     * the home's owner, a new key file gets the folder's owner, all on open handles, so a user who
     * swaps ~/.ssh for a link meanwhile never gets another file chowned to her (never by path here).
     */
    private void write(User user, List<String> lines) throws IOException {
        StringBuilder text = new StringBuilder();
        for (String line : lines) {
            text.append(line).append('\n');
        }
        files.write(user.keysPath(), text.toString().getBytes(StandardCharsets.UTF_8),
                WriteOptions.mode(0600).forced().inPrivateFolder());
    }

    /** The user in the guest root's /etc/passwd. */
    private User user(String name) throws IOException {
        byte[] passwd = files.readIfExists("/etc/passwd");
        if (passwd != null) {
            for (String line : new String(passwd, StandardCharsets.UTF_8).split("\n")) {
                String[] fields = line.split(":", -1);
                if (fields.length >= 7 && fields[0].equals(name)) {
                    try {
                        return new User(name, Integer.parseInt(fields[2]), Integer.parseInt(fields[3]), fields[5]);
                    } catch (NumberFormatException e) {
                        break;
                    }
                }
            }
        }
        throw new CommandException("failed to lookup user '" + name + "': Success");
    }
}
