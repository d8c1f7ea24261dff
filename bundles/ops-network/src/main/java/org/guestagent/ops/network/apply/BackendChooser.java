package org.guestagent.ops.network.apply;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

import org.guestagent.api.system.GuestFiles;
import org.guestagent.commands.network.spi.NetworkBackend;
import org.guestagent.commands.network.spi.OsRelease;

/**
 * The backends present right now, and the choice of one for a guest. A backend that publishes
 * {@value #OS_PROPERTY} (os-release IDs, comma-separated; a trailing {@code *} matches a prefix) is
 * only got, and so only activated, for a guest whose ID or ID_LIKE is one of them: the backends of
 * other systems stay unloaded. A backend without it (a vendor's, or one for any system) is always asked.
 */
public final class BackendChooser {
    /** Service property: the os-release IDs a backend can match at all. */
    public static final String OS_PROPERTY = "network.backend.os";

    /** A backend, got on first use, with its service ranking and the systems it is for (empty: any). */
    static final class Entry {
        private final Object key;
        private final Supplier<NetworkBackend> getter;
        private final int ranking;
        private final List<String> osIds;
        private NetworkBackend backend;

        Entry(Object key, Supplier<NetworkBackend> getter, Map<String, Object> properties) {
            this.key = key;
            this.getter = getter;
            Object ranking = properties.get("service.ranking");
            this.ranking = ranking instanceof Integer i ? i : 0;
            Object os = properties.get(OS_PROPERTY);
            this.osIds = os == null ? List.of()
                    : Arrays.stream(os.toString().split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
        }

        synchronized NetworkBackend backend() {
            if (backend == null) {
                backend = getter.get();
            }
            return backend;
        }

        synchronized NetworkBackend gotOrNull() {
            return backend;
        }

        int ranking() {
            return ranking;
        }

        /** Whether the backend may fit this system at all (without asking it). */
        boolean mayFit(OsRelease os) {
            if (osIds.isEmpty()) {
                return true;
            }
            for (String id : osIds) {
                boolean fits = id.endsWith("*")
                        ? os.id().startsWith(id.substring(0, id.length() - 1))
                                || os.idLike().stream().anyMatch(l -> l.startsWith(id.substring(0, id.length() - 1)))
                        : os.isLike(id);
                if (fits) {
                    return true;
                }
            }
            return false;
        }
    }

    private final List<Entry> backends = new CopyOnWriteArrayList<>();

    /** A backend object at hand (tests, or one already got). */
    public void add(NetworkBackend backend, Map<String, Object> properties) {
        backends.add(new Entry(backend, () -> backend, properties));
    }

    /** A backend got only when a guest may need it; {@code key} identifies it for {@link #remove}. */
    public void add(Object key, Supplier<NetworkBackend> getter, Map<String, Object> properties) {
        backends.add(new Entry(key, getter, properties));
    }

    /** Removes the backend; returns its object if it was got, for the caller to release. */
    public Optional<NetworkBackend> remove(Object key) {
        for (Entry e : backends) {
            if (e.key == key) {
                backends.remove(e);
                return Optional.ofNullable(e.gotOrNull());
            }
        }
        return Optional.empty();
    }

    /**
     * The backend named by the configuration, or else the best match for the OS: highest
     * ranking first, then the most specific match.
     */
    public Optional<NetworkBackend> choose(OsRelease os, GuestFiles files, String forcedName) {
        if (forcedName != null && !forcedName.isBlank()) {
            return backends.stream().filter(e -> e.backend().name().equals(forcedName.strip()))
                    .max(Comparator.comparingInt(Entry::ranking)).map(Entry::backend);
        }
        record Scored(Entry entry, int match) {
        }
        return backends.stream()
                .filter(e -> e.mayFit(os))
                .map(e -> new Scored(e, e.backend().match(os, files)))
                .filter(s -> s.match() > 0)
                .max(Comparator.comparingInt((Scored s) -> s.entry().ranking()).thenComparingInt(Scored::match)
                        .thenComparing(s -> s.entry().backend().name(), Comparator.reverseOrder()))
                .map(s -> s.entry().backend());
    }

    /** The names of the backends got so far (for the log: the others are for other systems). */
    public List<String> names() {
        return backends.stream().map(Entry::gotOrNull).filter(Objects::nonNull).map(NetworkBackend::name).sorted().toList();
    }
}
