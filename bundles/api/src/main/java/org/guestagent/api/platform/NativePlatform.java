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

    /**
     * The FIFREEZE (freeze) or FITHAW ioctl on the file system mounted at a folder.
     *
     * @return 0 when it succeeded, else the ioctl's errno
     * @throws java.io.IOException with the C library's reason when the folder cannot be opened
     */
    default int freezeOrThaw(String mountPoint, boolean freeze) throws java.io.IOException {
        throw new UnsupportedOperationException("This platform cannot freeze file systems");
    }

    /**
     * One address of an interface, as getifaddrs(3) gives it.
     *
     * @param interfaceName the interface's name
     * @param ipv6          an IPv6 address, else IPv4
     * @param address       the address's bytes (4 or 16)
     * @param prefixLength  the length of its netmask
     */
    record InterfaceAddress(String interfaceName, boolean ipv6, byte[] address, int prefixLength) {
    }

    /**
     * getifaddrs(3): the IPv4 and IPv6 addresses of every interface, in the C library's order (the
     * kernel's: IPv4 before IPv6, each in the order the interface holds them), as qemu-ga lists them.
     */
    default java.util.List<InterfaceAddress> interfaceAddresses() {
        throw new UnsupportedOperationException("This platform cannot list interface addresses");
    }

    /** strerror(3): the C library's text for an errno. */
    default String errorText(int errno) {
        return "errno " + errno;
    }
}
