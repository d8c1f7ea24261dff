package org.guestagent.commands.qga;

import static org.guestagent.commands.qga.QgaArguments.Type.INTEGER;
import static org.guestagent.commands.qga.QgaArguments.optional;
import static org.guestagent.commands.qga.QgaArguments.required;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.guestagent.api.command.Command;
import org.guestagent.api.command.CommandArgument;
import org.guestagent.api.command.CommandContext;
import org.guestagent.api.command.CommandException;
import org.guestagent.api.command.CommandSet;
import org.guestagent.api.command.ServesCommands;
import org.guestagent.api.runtime.CommandRegistry;
import org.guestagent.api.system.GuestFiles;
import org.guestagent.ops.facts.GuestFacts;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The QGA commands that only answer: synchronisation, ping, the command list and guest facts.
 * Guest files (os-release, utmp) are read below the guest root, so {@code --root} shows the
 * scratch guest's; kernel facts come from the running kernel. os-release, kernel and host name
 * come from the guest-facts operation ({@link GuestFacts}).
 */
@Component(service = CommandSet.class)
@ServesCommands(commands = { "guest-sync", "guest-sync-delimited", "guest-ping", "guest-info", "guest-get-time",
        "guest-get-host-name", "guest-get-timezone", "guest-get-osinfo", "guest-get-users" }, protocols = "qga")
public class QgaBasicCommands implements CommandSet {
    /** Commands after which qemu-ga sends no answer when they succeed. */
    private static final Set<String> NO_SUCCESS_RESPONSE = Set.of("guest-shutdown", "guest-suspend-disk",
            "guest-suspend-ram", "guest-suspend-hybrid");
    private static final String PROTOCOL = "qga";

    private final CommandRegistry registry;
    private final GuestFiles files;
    private final GuestFacts facts;
    private final String version;

    @Activate
    public QgaBasicCommands(@Reference(name = "registry") CommandRegistry registry,
            @Reference(name = "files") GuestFiles files, @Reference(name = "facts") GuestFacts facts, BundleContext context) {
        this.registry = registry;
        this.files = files;
        this.facts = facts;
        this.version = context.getBundle().getVersion().toString();
    }

    @Command(value = "guest-sync", quiet = true)
    public String sync(CommandArgument argument) {
        return Long.toString(QgaArguments.check(argument, required("id", INTEGER)).integer("id"));
    }

    /** The parser writes the 0xFF delimiter before this command's answer. */
    @Command(value = "guest-sync-delimited", quiet = true)
    public String syncDelimited(CommandArgument argument) {
        return sync(argument);
    }

    @Command(value = "guest-ping", quiet = true)
    public String ping(CommandArgument argument) {
        QgaArguments.check(argument);
        return "{}";
    }

    /** The session key under which the QGA parser keeps its test of disabled names (QgaParser.DISABLED_SESSION_KEY). */
    static final String DISABLED_SESSION_KEY = "qga.disabled";

    /**
     * The commands the QGA pair offers now, vendor ones hot-installed included; those the parser's
     * configuration disables are listed with {@code "enabled": false}, as qemu-ga lists blocked ones.
     */
    @Command(value = "guest-info", quiet = true)
    @SuppressWarnings("unchecked")
    public String info(CommandArgument argument, CommandContext context) {
        QgaArguments.check(argument);
        java.util.function.Predicate<String> disabled = context.session() == null ? null
                : context.session().get(DISABLED_SESSION_KEY, java.util.function.Predicate.class);
        List<Object> supported = new ArrayList<>();
        for (CommandRegistry.CommandInfo command : registry.commands(PROTOCOL)) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("enabled", disabled == null || !disabled.test(command.name()));
            entry.put("name", command.name());
            entry.put("success-response", !NO_SUCCESS_RESPONSE.contains(command.name()));
            supported.add(entry);
        }
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("version", version);
        info.put("supported_commands", supported);
        return Json.of(info);
    }

    /** Nanoseconds since the epoch. */
    @Command(value = "guest-get-time", quiet = true)
    public String time(CommandArgument argument) {
        QgaArguments.check(argument);
        Instant now = Instant.now();
        return Long.toString(now.getEpochSecond() * 1_000_000_000L + now.getNano());
    }

    /** The live host name (the kernel's, as gethostname gives it). */
    @Command(value = "guest-get-host-name", quiet = true)
    public String hostName(CommandArgument argument) throws IOException {
        QgaArguments.check(argument);
        return Json.of(Map.of("host-name", kernel(facts::hostname)));
    }

    @Command(value = "guest-get-timezone", quiet = true)
    public String timezone(CommandArgument argument) {
        QgaArguments.check(argument);
        ZonedDateTime now = ZonedDateTime.now();
        Map<String, Object> zone = new LinkedHashMap<>();
        zone.put("zone", now.format(DateTimeFormatter.ofPattern("zzz")));
        zone.put("offset", now.getOffset().getTotalSeconds());
        return Json.of(zone);
    }

    /** os-release of the guest root (qemu-ga's keys, present ones only) and the running kernel. */
    @Command(value = "guest-get-osinfo", quiet = true)
    public String osinfo(CommandArgument argument) throws IOException {
        QgaArguments.check(argument);
        Map<String, String> os = facts.osRelease();
        GuestFacts.Kernel kernel = kernel(facts::kernel);
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("kernel-release", kernel.release());
        info.put("kernel-version", kernel.version());
        info.put("machine", kernel.machine());
        String[][] keys = { {"ID", "id"}, {"NAME", "name"}, {"PRETTY_NAME", "pretty-name"}, {"VERSION", "version"},
            {"VERSION_ID", "version-id"}, {"VARIANT", "variant"}, {"VARIANT_ID", "variant-id"} };
        for (String[] key : keys) {
            if (os.containsKey(key[0])) {
                info.put(key[1], os.get(key[0]));
            }
        }
        return Json.of(info);
    }

    /** The users logged in now (utmp below the guest root), each once with its first login time. */
    @Command(value = "guest-get-users", quiet = true)
    public String users(CommandArgument argument) throws IOException {
        QgaArguments.check(argument);
        byte[] utmp = files.readIfExists("/run/utmp");
        if (utmp == null) {
            utmp = files.readIfExists("/var/run/utmp");
        }
        Map<String, Double> firstLogin = new LinkedHashMap<>();
        if (utmp != null) {
            ByteBuffer records = ByteBuffer.wrap(utmp).order(ByteOrder.nativeOrder());
            final int size = 384; // struct utmp on Linux (glibc, 64-bit and 32-bit alike)
            for (int at = 0; at + size <= utmp.length; at += size) {
                if (records.getShort(at) != 7) { // USER_PROCESS
                    continue;
                }
                String user = cString(utmp, at + 44, 32);
                double login = records.getInt(at + 340) + records.getInt(at + 344) / 1e6;
                firstLogin.merge(user, login, Math::min);
            }
        }
        List<Object> users = new ArrayList<>();
        firstLogin.forEach((user, login) -> {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("user", user);
            entry.put("login-time", login);
            users.add(entry);
        });
        return Json.of(users);
    }

    private static String cString(byte[] bytes, int offset, int max) {
        int end = offset;
        while (end < offset + max && bytes[end] != 0) {
            end++;
        }
        return new String(bytes, offset, end - offset, StandardCharsets.UTF_8);
    }

    /** A fact of the running kernel; a failure to read it is the command's error, with the fact's message. */
    private static <T> T kernel(KernelFact<T> fact) {
        try {
            return fact.read();
        } catch (IOException e) {
            throw new CommandException(e.getMessage(), e);
        }
    }

    private interface KernelFact<T> {
        T read() throws IOException;
    }
}
