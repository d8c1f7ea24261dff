package org.guestagent.commands.files;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;

import org.guestagent.api.command.Command;
import org.guestagent.api.command.CommandArgument;
import org.guestagent.api.command.CommandException;
import org.guestagent.api.command.CommandSet;
import org.guestagent.api.command.ServesCommands;
import org.guestagent.ops.files.FileInjection;
import org.guestagent.ops.files.FileInjectionException;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code injectfile} (old form: base64 of {@code path,contents}) and {@code file_inject}
 * (new form: base64 path and contents in an object): the host pushes a file into the guest. A nova
 * adapter: it decodes nova's two forms and hands the file to the {@link FileInjection} operation,
 * which keeps the safety rules (and the configuration, PID {@code org.guestagent.commands.files}).
 */
@Component(service = CommandSet.class)
@ServesCommands(commands = { "injectfile", "file_inject" }, protocols = "nova-json")
public class FileCommands implements CommandSet {

    private final FileInjection injection;

    @Activate
    public FileCommands(@Reference(name = "injection") FileInjection injection) {
        this.injection = injection;
    }

    /** Secret: file contents (keys, configuration with passwords) must not reach the request log. */
    @Command(value = "injectfile", secret = true)
    public String injectFile(CommandArgument arg) {
        String text = arg.text();
        if (text == null) {
            throw new CommandException("injectfile needs text: the base64 of 'path,contents'");
        }
        byte[] data = decodeBase64(text, "the injectfile data");
        int comma = indexOf(data, (byte) ',');
        if (comma < 0) {
            throw new CommandException("The injectfile data has no comma between the path and the contents");
        }
        String path = utf8(Arrays.copyOfRange(data, 0, comma));
        inject(path, Arrays.copyOfRange(data, comma + 1, data.length));
        return "";
    }

    @Command(value = "file_inject", secret = true)
    public String fileInject(CommandArgument arg) {
        Map<String, Object> object = arg.object();
        if (object == null) {
            throw new CommandException("file_inject needs an object with the keys 'b64_path' and 'b64_file'");
        }
        String path = utf8(decodeBase64(member(object, "b64_path"), "'b64_path'"));
        byte[] contents = decodeBase64(member(object, "b64_file"), "'b64_file'");
        inject(path, contents);
        return "";
    }

    private void inject(String path, byte[] contents) {
        try {
            injection.inject(path, contents);
        } catch (FileInjectionException e) {
            throw new CommandException(e.getMessage(), e);
        }
    }

    private static String member(Map<String, Object> object, String key) {
        Object value = object.get(key);
        if (value == null) {
            throw new CommandException("file_inject data is missing the '" + key + "' key");
        }
        if (!(value instanceof String text)) {
            throw new CommandException("The '" + key + "' value of file_inject must be base64 text");
        }
        return text;
    }

    /** Strict base64; line breaks and spaces, which some encoders insert, are ignored. */
    private static byte[] decodeBase64(String text, String what) {
        try {
            return Base64.getDecoder().decode(text.replaceAll("[\\s]", ""));
        } catch (IllegalArgumentException e) {
            throw new CommandException("Couldn't decode base64 data in " + what);
        }
    }

    private static String utf8(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new CommandException("The file path is not valid UTF-8 text");
        }
    }

    private static int indexOf(byte[] data, byte wanted) {
        for (int i = 0; i < data.length; i++) {
            if (data[i] == wanted) {
                return i;
            }
        }
        return -1;
    }
}
