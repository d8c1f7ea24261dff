package org.guestagent.commands.update;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * The configuration as plain values, so tests can build it without ConfigAdmin. {@code trustStore}
 * is null unless the signed-bundle mode is on (framework property {@value #TRUST_STORE_PROPERTY},
 * set by the launcher from its {@code trust.store}).
 */
record UpdateSettings(Duration connectTimeout, Duration readTimeout, long maxSize, String stateDir,
        int keepHistory, Path tempDir, Duration applyDelay, List<String> deferredBundles,
        Duration installerTimeout, Duration frameworkTimeout, boolean allowHttp, boolean allowDowngrade,
        Path trustStore, String trustStorePassword) {

    static final String TRUST_STORE_PROPERTY = "guestagent.trust.store";
    static final String TRUST_STORE_PASSWORD_PROPERTY = "guestagent.trust.store.password";

    static UpdateSettings from(UpdateConfig c, String trustStore, String trustStorePassword) {
        String temp = c.temp_dir() == null || c.temp_dir().isBlank() ? System.getProperty("java.io.tmpdir") : c.temp_dir();
        return new UpdateSettings(Duration.ofMillis(c.connect_timeout_ms()), Duration.ofMillis(c.read_timeout_ms()),
                c.max_size(), c.state_dir(), Math.max(1, c.keep_history()), Path.of(temp),
                Duration.ofMillis(c.apply_delay_ms()), names(c.deferred_bundles()),
                Duration.ofSeconds(c.installer_timeout_seconds()), Duration.ofSeconds(c.framework_timeout_seconds()),
                c.allow_http(), c.allow_downgrade(),
                trustStore == null || trustStore.isBlank() ? null : Path.of(trustStore.trim()), trustStorePassword);
    }

    /** A .cfg file gives one comma-separated string; metatype gives an array: accept both. */
    private static List<String> names(String[] values) {
        return Arrays.stream(values).flatMap(v -> Arrays.stream(v.split(","))).map(String::trim)
                .filter(v -> !v.isEmpty()).toList();
    }

    UpdateSettings withTempDir(Path dir) {
        return new UpdateSettings(connectTimeout, readTimeout, maxSize, stateDir, keepHistory, dir, applyDelay,
                deferredBundles, installerTimeout, frameworkTimeout, allowHttp, allowDowngrade, trustStore, trustStorePassword);
    }
}
