package org.guestagent.api.platform;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The native calls of the platform bundle. Each throws {@link UnsupportedOperationException}
 * with a clear message when the library or symbol is missing.
 */
@ProviderType
public interface NativePlatform {

    /** crypt(3): hashes the key with the setting ({@code $6$salt$...}); never logs either. */
    String crypt(char[] key, String setting);

    /** lckpwdf(3): takes the shadow lock (waits up to 15 s as glibc does). */
    void lockShadow();

    /** ulckpwdf(3). */
    void unlockShadow();

    /** sethostname(2). */
    void setHostname(String hostname);
}
