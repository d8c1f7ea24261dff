package org.guestagent.ops.network.apply;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import org.guestagent.api.system.GuestFiles;
import org.guestagent.commands.network.spi.NetworkBackend;
import org.guestagent.commands.network.spi.OsRelease;

/** The backends present right now, and the choice of one for a guest. */
public final class BackendChooser {

    /** A backend with its service ranking. */
    record Ranked(NetworkBackend backend, int ranking) {
    }

    private final List<Ranked> backends = new CopyOnWriteArrayList<>();

    public void add(NetworkBackend backend, Map<String, Object> properties) {
        Object ranking = properties.get("service.ranking");
        backends.add(new Ranked(backend, ranking instanceof Integer i ? i : 0));
    }

    public void remove(NetworkBackend backend) {
        backends.removeIf(r -> r.backend() == backend);
    }

    /**
     * The backend named by the configuration, or else the best match for the OS: highest
     * ranking first, then the most specific match.
     */
    public Optional<NetworkBackend> choose(OsRelease os, GuestFiles files, String forcedName) {
        if (forcedName != null && !forcedName.isBlank()) {
            return backends.stream().filter(r -> r.backend().name().equals(forcedName.strip()))
                    .max(Comparator.comparingInt(Ranked::ranking)).map(Ranked::backend);
        }
        record Scored(Ranked ranked, int match) {
        }
        return backends.stream()
                .map(r -> new Scored(r, r.backend().match(os, files)))
                .filter(s -> s.match() > 0)
                .max(Comparator.comparingInt((Scored s) -> s.ranked().ranking()).thenComparingInt(Scored::match)
                        .thenComparing(s -> s.ranked().backend().name(), Comparator.reverseOrder()))
                .map(s -> s.ranked().backend());
    }

    public List<String> names() {
        return backends.stream().map(r -> r.backend().name()).sorted().toList();
    }
}
