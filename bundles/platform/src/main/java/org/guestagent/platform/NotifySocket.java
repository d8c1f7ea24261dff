package org.guestagent.platform;

import java.nio.charset.StandardCharsets;

import com.sun.jna.Function;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.NativeLong;

/**
 * systemd's notification socket ({@code NOTIFY_SOCKET}): a Unix datagram socket, which the JDK
 * cannot send to, so socket(2) and sendto(2) of the C library through JNA. A name starting with
 * {@code @} is in the abstract namespace (a NUL byte first), as sd_notify(3) reads it.
 */
final class NotifySocket implements AutoCloseable {
    private static final int AF_UNIX = 1;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_CLOEXEC = 0x80000; // Linux
    private static final int MSG_NOSIGNAL = 0x4000; // Linux
    /** sizeof(struct sockaddr_un): sa_family_t (2 bytes), then sun_path[108]. */
    private static final int ADDRESS_SIZE = 110;

    private final NativeLibrary libc;
    private final Memory address;
    private final int addressLength;
    private int fd;

    private NotifySocket(NativeLibrary libc, Memory address, int addressLength, int fd) {
        this.libc = libc;
        this.address = address;
        this.addressLength = addressLength;
        this.fd = fd;
    }

    /** Opens a socket to send to the named one; throws with the reason when it cannot. */
    static NotifySocket open(String name) {
        byte[] path = name.getBytes(StandardCharsets.UTF_8);
        if (path.length < 2 || path.length > ADDRESS_SIZE - 3 || (path[0] != '/' && path[0] != '@')) {
            throw new IllegalArgumentException("not a Unix socket path or abstract name: " + name);
        }
        if (path[0] == '@') {
            path[0] = 0;
        }
        Memory address = new Memory(ADDRESS_SIZE);
        address.clear();
        address.setShort(0, (short) AF_UNIX);
        address.write(2, path, 0, path.length);
        // a path is NUL-terminated within the length; an abstract name is exactly its bytes
        int length = 2 + path.length + (path[0] == 0 ? 0 : 1);
        NativeLibrary libc = NativeLibrary.getInstance("c");
        int fd = libc.getFunction("socket").invokeInt(new Object[] {AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0});
        if (fd < 0) {
            throw new IllegalStateException("socket(AF_UNIX, SOCK_DGRAM) failed, errno " + Native.getLastError());
        }
        return new NotifySocket(libc, address, length, fd);
    }

    /** Sends one notification (lines such as {@code READY=1}); false, with errno kept, when it failed. */
    synchronized boolean send(String message) {
        if (fd < 0) {
            return false;
        }
        byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
        Memory buffer = new Memory(Math.max(1, bytes.length));
        buffer.write(0, bytes, 0, bytes.length);
        Function sendto = libc.getFunction("sendto");
        // size_t and ssize_t are as wide as a C long on Linux
        NativeLong sent = (NativeLong) sendto.invoke(NativeLong.class,
                new Object[] {fd, buffer, new NativeLong(bytes.length), MSG_NOSIGNAL, address, addressLength});
        return sent.longValue() == bytes.length;
    }

    @Override
    public synchronized void close() {
        if (fd >= 0) {
            libc.getFunction("close").invokeInt(new Object[] {fd});
            fd = -1;
        }
    }
}
