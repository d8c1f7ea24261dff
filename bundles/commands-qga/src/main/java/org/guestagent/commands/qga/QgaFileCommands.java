package org.guestagent.commands.qga;

import static org.guestagent.commands.qga.QgaArguments.Type.INTEGER;
import static org.guestagent.commands.qga.QgaArguments.Type.STRING;
import static org.guestagent.commands.qga.QgaArguments.optional;
import static org.guestagent.commands.qga.QgaArguments.required;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.StandardOpenOption;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import org.guestagent.api.command.Command;
import org.guestagent.api.command.CommandArgument;
import org.guestagent.api.command.CommandException;
import org.guestagent.api.command.CommandSet;
import org.guestagent.api.command.ServesCommands;
import org.guestagent.api.system.GuestFiles;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * guest-file-open/-read/-write/-seek/-flush/-close: open files by handle (from 1000, as qemu-ga),
 * every path below the guest root. Texts are qemu-ga 7.2's.
 */
@Component(service = CommandSet.class)
@ServesCommands(commands = { "guest-file-open", "guest-file-read", "guest-file-write", "guest-file-seek",
        "guest-file-flush", "guest-file-close" }, protocols = "qga")
public class QgaFileCommands implements CommandSet {
    /** qemu-ga's default and largest read (QGA_READ_COUNT_DEFAULT, GUEST_FILE_READ_COUNT_MAX). */
    static final long READ_DEFAULT = 4096;
    static final long READ_MAX = 48L * 1024 * 1024;
    /** The most files open at once; qemu-ga has no limit, a guest's memory does. */
    static final int MAX_OPEN = 1024;

    private record OpenFile(FileChannel channel, boolean append) {
    }

    private final GuestFiles files;
    private final AtomicLong nextHandle = new AtomicLong(1000);
    private final Map<Long, OpenFile> open = new ConcurrentHashMap<>();

    @Activate
    public QgaFileCommands(@Reference(name = "files") GuestFiles files) {
        this.files = files;
    }

    @Deactivate
    void closeAll() {
        open.values().forEach(f -> {
            try {
                f.channel.close();
            } catch (IOException e) {
                // closing anyway
            }
        });
        open.clear();
    }

    @Command("guest-file-open")
    public String openFile(CommandArgument argument) {
        QgaArguments args = QgaArguments.check(argument, required("path", STRING), optional("mode", STRING));
        String guestPath = args.string("path");
        String mode = args.has("mode") ? args.string("mode") : "r";
        Set<OpenOption> options = options(mode);
        if (options == null) {
            throw new CommandException("invalid file open mode '" + mode + "'");
        }
        if (open.size() >= MAX_OPEN) {
            throw new CommandException("failed to open file '" + guestPath + "' (mode: '" + mode + "'): Too many open files");
        }
        FileChannel channel;
        try {
            channel = files.open(guestPath, options); // the seam's walk: a planted link does not redirect it
        } catch (IllegalArgumentException e) {
            throw new CommandException("failed to open file '" + guestPath + "' (mode: '" + mode + "'): " + e.getMessage());
        } catch (IOException e) {
            throw new CommandException("failed to open file '" + guestPath + "' (mode: '" + mode + "'): " + reason(e));
        }
        long handle = nextHandle.getAndIncrement();
        open.put(handle, new OpenFile(channel, mode.startsWith("a")));
        return Long.toString(handle);
    }

    /** fopen's modes as open options; null for a mode fopen does not take. */
    private static Set<OpenOption> options(String mode) {
        String plain = mode.replace("b", "");
        if (mode.length() - plain.length() > 1 || mode.startsWith("b")) {
            return null;
        }
        return switch (plain) {
            case "r" -> Set.of(StandardOpenOption.READ);
            case "r+" -> Set.of(StandardOpenOption.READ, StandardOpenOption.WRITE);
            case "w" -> Set.of(StandardOpenOption.WRITE, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING);
            case "w+" -> Set.of(StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.CREATE,
                    StandardOpenOption.TRUNCATE_EXISTING);
            // a+ reads too, so appending is done by seeking to the end before each write
            case "a" -> Set.of(StandardOpenOption.WRITE, StandardOpenOption.CREATE);
            case "a+" -> Set.of(StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.CREATE);
            default -> null;
        };
    }

    @Command("guest-file-read")
    public String read(CommandArgument argument) {
        QgaArguments args = QgaArguments.check(argument, required("handle", INTEGER), optional("count", INTEGER));
        OpenFile file = file(args.integer("handle"));
        long count = args.integer("count", READ_DEFAULT);
        if (count < 0 || count > READ_MAX) {
            throw new CommandException("value '" + count + "' is invalid for argument count");
        }
        ByteBuffer buffer = ByteBuffer.allocate((int) count);
        boolean eof = false;
        try {
            while (buffer.hasRemaining()) {
                if (file.channel.read(buffer) < 0) {
                    eof = true;
                    break;
                }
            }
        } catch (NonReadableChannelException e) {
            throw new CommandException("failed to read file: Bad file descriptor");
        } catch (IOException e) {
            throw new CommandException("failed to read file: " + reason(e));
        }
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("count", buffer.position());
        result.put("buf-b64", Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(buffer.array(), buffer.position())));
        result.put("eof", eof);
        return Json.of(result);
    }

    @Command("guest-file-write")
    public String write(CommandArgument argument) {
        QgaArguments args = QgaArguments.check(argument, required("handle", INTEGER), required("buf-b64", STRING),
                optional("count", INTEGER));
        OpenFile file = file(args.integer("handle"));
        byte[] data = Base64Text.decode(args.string("buf-b64"));
        long count = args.integer("count", data.length);
        if (count < 0 || count > data.length) {
            throw new CommandException("value '" + count + "' is invalid for argument count");
        }
        ByteBuffer buffer = ByteBuffer.wrap(data, 0, (int) count);
        try {
            if (file.append) {
                file.channel.position(file.channel.size());
            }
            while (buffer.hasRemaining()) {
                file.channel.write(buffer);
            }
        } catch (NonWritableChannelException e) {
            throw new CommandException("failed to write to file: Bad file descriptor");
        } catch (IOException e) {
            throw new CommandException("failed to write to file: " + reason(e));
        }
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("count", count);
        result.put("eof", false);
        return Json.of(result);
    }

    @Command("guest-file-seek")
    public String seek(CommandArgument argument) {
        Map<String, Object> given = argument.object() == null ? Map.of() : argument.object();
        // whence is an integer or one of "set", "cur", "end": check the others first, then it
        Map<String, Object> rest = new LinkedHashMap<>(given);
        Object whence = rest.remove("whence");
        QgaArguments args = QgaArguments.check(CommandArgument.of(rest), required("handle", INTEGER),
                required("offset", INTEGER));
        if (!given.containsKey("whence")) {
            throw QgaArguments.invalid("Parameter 'whence' is missing");
        }
        int code;
        if (whence instanceof String name) {
            code = switch (name) {
                case "set" -> 0;
                case "cur" -> 1;
                case "end" -> 2;
                default -> throw QgaArguments.invalid("Parameter 'whence' does not accept value '" + name + "'");
            };
        } else if (whence instanceof BigInteger i) {
            if (i.compareTo(BigInteger.ZERO) < 0 || i.compareTo(BigInteger.TWO) > 0) {
                throw new CommandException("invalid whence code " + i);
            }
            code = i.intValue();
        } else {
            throw QgaArguments.invalid("Invalid parameter type for 'whence', expected: QGASeek");
        }
        OpenFile file = file(args.integer("handle"));
        long offset = args.integer("offset");
        try {
            long base = switch (code) {
                case 0 -> 0;
                case 1 -> file.channel.position();
                default -> file.channel.size();
            };
            long position = base + offset;
            if (position < 0) {
                throw new CommandException("failed to seek file: Invalid argument");
            }
            file.channel.position(position);
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("position", position);
            result.put("eof", false);
            return Json.of(result);
        } catch (IOException e) {
            throw new CommandException("failed to seek file: " + reason(e));
        }
    }

    @Command("guest-file-flush")
    public String flush(CommandArgument argument) {
        QgaArguments args = QgaArguments.check(argument, required("handle", INTEGER));
        OpenFile file = file(args.integer("handle"));
        try {
            file.channel.force(false);
        } catch (IOException e) {
            throw new CommandException("failed to flush file: " + reason(e));
        }
        return "{}";
    }

    @Command("guest-file-close")
    public String close(CommandArgument argument) {
        QgaArguments args = QgaArguments.check(argument, required("handle", INTEGER));
        long handle = args.integer("handle");
        OpenFile file = open.remove(handle);
        if (file == null) {
            throw notFound(handle);
        }
        try {
            file.channel.close();
        } catch (IOException e) {
            throw new CommandException("failed to close handle: " + reason(e));
        }
        return "{}";
    }

    private OpenFile file(long handle) {
        OpenFile file = open.get(handle);
        if (file == null) {
            throw notFound(handle);
        }
        return file;
    }

    private static CommandException notFound(long handle) {
        return new CommandException("handle '" + handle + "' has not been found");
    }

    /** strerror's words for what Java reports. */
    private static String reason(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "No such file or directory";
        }
        if (e instanceof AccessDeniedException) {
            return "Permission denied";
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        return String.valueOf(e.getMessage());
    }
}
