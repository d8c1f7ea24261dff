package org.guestagent.commands.network.spi;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What resetnetwork will do: files to write, files to remove, and commands to run afterwards.
 * The command fills in the common files (hosts, resolv.conf, hostname) first; a backend adds its
 * own and may replace or cancel the common ones (e.g. FreeBSD keeps the hostname in rc.conf).
 * Nothing here touches the guest; the command applies the plan in one file transaction.
 */
public final class NetworkPlan {

    /** A file's new content and the mode it gets when it is created. */
    public record PlannedFile(byte[] content, int mode) {
        public String text() {
            return new String(content, StandardCharsets.UTF_8);
        }
    }

    /** A command to run after the files are in place; a failing optional one is only logged. */
    public record Step(List<String> command, boolean mustSucceed) {
        public Step {
            command = List.copyOf(command);
        }
    }

    private final Map<String, PlannedFile> writes = new LinkedHashMap<>();
    private final Set<String> deletes = new LinkedHashSet<>();
    private final List<Step> steps = new ArrayList<>();

    /** Writes a text file, mode 0644 when new. */
    public NetworkPlan write(String guestPath, String content) {
        return write(guestPath, content, 0644);
    }

    /** Writes a text file with the given mode (applied also when it exists: these are our files). */
    public NetworkPlan write(String guestPath, String content, int mode) {
        deletes.remove(guestPath);
        writes.put(guestPath, new PlannedFile(content.getBytes(StandardCharsets.UTF_8), mode));
        return this;
    }

    /** Removes a file (a backup of it is kept). */
    public NetworkPlan delete(String guestPath) {
        writes.remove(guestPath);
        deletes.add(guestPath);
        return this;
    }

    /** Drops a planned write or delete, e.g. a common file this system keeps elsewhere. */
    public NetworkPlan cancel(String guestPath) {
        writes.remove(guestPath);
        deletes.remove(guestPath);
        return this;
    }

    /** Runs a command that must succeed. */
    public NetworkPlan run(String... command) {
        steps.add(new Step(List.of(command), true));
        return this;
    }

    /** Runs a command whose failure is expected at times (e.g. taking down an interface that is down). */
    public NetworkPlan tryRun(String... command) {
        steps.add(new Step(List.of(command), false));
        return this;
    }

    public Map<String, PlannedFile> writes() {
        return Collections.unmodifiableMap(writes);
    }

    public Set<String> deletes() {
        return Collections.unmodifiableSet(deletes);
    }

    public List<Step> steps() {
        return Collections.unmodifiableList(steps);
    }
}
