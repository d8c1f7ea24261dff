package org.guestagent.xenstore;

import java.io.EOFException;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * How to reach xenstored: a unix socket or a xenbus character device. Chooses like libxenstore:
 * the socket is {@code $XENSTORED_PATH}, else {@code $XENSTORED_RUNDIR/socket}, else
 * {@value #DEFAULT_SOCKET}.
 */
public abstract class XenStoreTransport {

    public static final String DEFAULT_SOCKET = "/var/run/xenstored/socket";
    public static final Path DEV_XENBUS = Path.of("/dev/xen/xenbus");
    public static final Path PROC_XENBUS = Path.of("/proc/xen/xenbus");

    /** Opens a new connection. */
    public abstract XsChannel open() throws IOException;

    /** For logs, e.g. {@code socket:/var/run/xenstored/socket}. */
    public abstract String describe();

    @Override
    public String toString() {
        return describe();
    }

    public static XenStoreTransport unixSocket(Path socket) {
        return new UnixSocket(socket);
    }

    public static XenStoreTransport device(Path device) {
        return new Device(device);
    }

    /** The socket libxenstore would use with this environment. */
    public static Path defaultSocketPath(Map<String, String> env) {
        String path = env.get("XENSTORED_PATH");
        if (path != null && !path.isEmpty()) {
            return Path.of(path);
        }
        String rundir = env.get("XENSTORED_RUNDIR");
        if (rundir != null && !rundir.isEmpty()) {
            return Path.of(rundir, "socket");
        }
        return Path.of(DEFAULT_SOCKET);
    }

    /** The first xenbus device that exists, or null. */
    public static Path existingDevice() {
        for (Path device : new Path[] {DEV_XENBUS, PROC_XENBUS}) {
            if (Files.exists(device)) {
                return device;
            }
        }
        return null;
    }

    /**
     * Picks the transport.
     *
     * @param mode {@code auto}, {@code socket} or {@code device}
     * @param socketPath a socket to use, or empty for the libxenstore default
     * @param devicePath a device to use, or empty for the first of /dev/xen/xenbus, /proc/xen/xenbus
     * @param env the process environment; in {@code auto} mode an explicit {@code XENSTORED_PATH}
     *            wins (the user pointed us somewhere), then an existing xenbus device, then the socket
     */
    public static XenStoreTransport choose(String mode, String socketPath, String devicePath, Map<String, String> env) {
        Path socket = socketPath == null || socketPath.isBlank() ? defaultSocketPath(env) : Path.of(socketPath.trim());
        Path device = devicePath == null || devicePath.isBlank() ? existingDevice() : Path.of(devicePath.trim());
        String m = mode == null ? "auto" : mode.trim().toLowerCase(java.util.Locale.ROOT);
        switch (m) {
            case "socket":
                return unixSocket(socket);
            case "device":
                return device(device != null ? device : DEV_XENBUS);
            case "auto":
            case "":
                boolean explicitSocket = (socketPath != null && !socketPath.isBlank())
                        || (env.get("XENSTORED_PATH") != null && !env.get("XENSTORED_PATH").isEmpty());
                if (!explicitSocket && device != null && Files.exists(device)) {
                    return device(device);
                }
                return unixSocket(socket);
            default:
                throw new IllegalArgumentException("Unknown XenStore transport '" + mode
                        + "'; use auto, socket or device");
        }
    }

    private static final class UnixSocket extends XenStoreTransport {
        private final Path socket;

        UnixSocket(Path socket) {
            this.socket = socket;
        }

        @Override
        public XsChannel open() throws IOException {
            SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                channel.connect(UnixDomainSocketAddress.of(socket));
            } catch (IOException e) {
                channel.close();
                throw new IOException("Cannot connect to xenstored at " + socket + ": " + e.getMessage(), e);
            }
            return new XsChannel() {
                @Override
                public void readFully(ByteBuffer dst) throws IOException {
                    while (dst.hasRemaining()) {
                        if (channel.read(dst) < 0) {
                            throw new EOFException("xenstored closed the connection");
                        }
                    }
                }

                @Override
                public void writeFully(ByteBuffer src) throws IOException {
                    while (src.hasRemaining()) {
                        channel.write(src);
                    }
                }

                @Override
                public void close() throws IOException {
                    channel.close();
                }
            };
        }

        @Override
        public String describe() {
            return "socket:" + socket;
        }
    }

    /**
     * A xenbus character device. Streams on one file descriptor rather than a FileChannel,
     * because FileChannel serialises reads and writes, and the reader thread blocks in read.
     * Each write() carries whole messages, as the kernel driver requires.
     */
    private static final class Device extends XenStoreTransport {
        private final Path device;

        Device(Path device) {
            this.device = device;
        }

        @Override
        public XsChannel open() throws IOException {
            RandomAccessFile file = new RandomAccessFile(device.toFile(), "rw");
            FileInputStream in = new FileInputStream(file.getFD());
            FileOutputStream out = new FileOutputStream(file.getFD());
            return new XsChannel() {
                @Override
                public void readFully(ByteBuffer dst) throws IOException {
                    while (dst.hasRemaining()) {
                        int n = in.read(dst.array(), dst.arrayOffset() + dst.position(), dst.remaining());
                        if (n < 0) {
                            throw new EOFException(device + " was closed");
                        }
                        dst.position(dst.position() + n);
                    }
                }

                @Override
                public void writeFully(ByteBuffer src) throws IOException {
                    out.write(src.array(), src.arrayOffset() + src.position(), src.remaining());
                    src.position(src.limit());
                }

                @Override
                public void close() throws IOException {
                    file.close();
                }
            };
        }

        @Override
        public String describe() {
            return "device:" + device;
        }
    }
}
