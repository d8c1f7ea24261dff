package org.guestagent.platform;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import org.guestagent.api.platform.NativePlatform;
import org.osgi.service.component.annotations.Component;

import com.sun.jna.Function;
import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;

/**
 * The agent's native calls through JNA: crypt(3) from libcrypt (libxcrypt), the shadow lock
 * ({@code lckpwdf}/{@code ulckpwdf}), {@code sethostname(2)} and the FIFREEZE/FITHAW ioctls from libc. Libraries are loaded on
 * first use, so the component starts also where one is missing; the call then throws
 * {@link UnsupportedOperationException} saying what is missing.
 */
@Component(service = NativePlatform.class)
public class JnaNativePlatform implements NativePlatform {

    /** Names tried for libcrypt: the plain name, then the sonames of libxcrypt and FreeBSD. */
    static final List<String> CRYPT_LIBRARIES = List.of("crypt", "libcrypt.so.1", "libcrypt.so.2", "libcrypt.so.5");
    static final List<String> C_LIBRARIES = List.of("c", "libc.so.6", "libc.so.7");

    /**
     * Room for a {@code struct crypt_data}: 32 KiB in libxcrypt, 128 KiB in old glibc. Twice the
     * larger one, so crypt_r never writes past the buffer whichever library we got.
     */
    private static final int CRYPT_DATA_SIZE = 256 * 1024;

    private final List<String> cryptLibraries;
    private final List<String> cLibraries;
    private NativeLibrary crypt;
    private NativeLibrary libc;

    public JnaNativePlatform() {
        this(CRYPT_LIBRARIES, C_LIBRARIES);
    }

    /** For tests: other library names, e.g. missing ones. */
    JnaNativePlatform(List<String> cryptLibraries, List<String> cLibraries) {
        this.cryptLibraries = List.copyOf(cryptLibraries);
        this.cLibraries = List.copyOf(cLibraries);
    }

    @Override
    public String crypt(char[] key, String setting) {
        if (setting == null || setting.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("The crypt setting is missing or holds a NUL character");
        }
        byte[] keyBytes = nulTerminatedUtf8(key);
        // the key goes to native memory we own, so that we can wipe it (JNA's own copy of a byte[] we could not)
        Memory nativeKey = new Memory(keyBytes.length);
        nativeKey.write(0, keyBytes, 0, keyBytes.length);
        Arrays.fill(keyBytes, (byte) 0);
        try {
            Function cryptR = optionalFunction(cryptLibrary(), "crypt_r");
            if (cryptR != null) {
                return cryptReentrant(cryptR, nativeKey, setting);
            }
            // plain crypt(3) returns a static buffer: one caller at a time
            synchronized (JnaNativePlatform.class) {
                Pointer result = function(cryptLibrary(), "crypt", "libcrypt").invokePointer(new Object[] {nativeKey, setting});
                return checkedHash(result == null ? null : result.getString(0, "US-ASCII"), setting);
            }
        } finally {
            nativeKey.clear();
            nativeKey.close();
        }
    }

    private static String cryptReentrant(Function cryptR, Pointer key, String setting) {
        Memory data = new Memory(CRYPT_DATA_SIZE);
        try {
            data.clear(); // crypt_r requires the structure zeroed before first use
            Pointer result = cryptR.invokePointer(new Object[] {key, setting, data});
            return checkedHash(result == null ? null : result.getString(0, "US-ASCII"), setting);
        } finally {
            data.clear(); // the scratch area held key material
            data.close();
        }
    }

    /** libxcrypt answers an unsupported or malformed setting with null or a "*0"/"*1" failure token. */
    private static String checkedHash(String hash, String setting) {
        if (hash == null || hash.isEmpty() || hash.startsWith("*")) {
            throw new IllegalArgumentException("crypt(3) cannot hash with the setting's method " + methodOf(setting)
                    + ": it is unknown to this libcrypt or the setting is malformed");
        }
        return hash;
    }

    private static String methodOf(String setting) {
        if (setting.startsWith("$")) {
            int end = setting.indexOf('$', 1);
            return end > 0 ? setting.substring(0, end + 1) : "$?";
        }
        return "(traditional DES)";
    }

    @Override
    public void lockShadow() {
        Function lckpwdf = function(cLibrary(), "lckpwdf", "libc");
        if (lckpwdf.invokeInt(new Object[0]) != 0) {
            throw new IllegalStateException("Could not take the shadow lock (lckpwdf): another program held it for"
                    + " 15 seconds, or this process may not write /etc/.pwd.lock" + errnoText());
        }
    }

    @Override
    public void unlockShadow() {
        Function ulckpwdf = function(cLibrary(), "ulckpwdf", "libc");
        if (ulckpwdf.invokeInt(new Object[0]) != 0) {
            throw new IllegalStateException("Could not release the shadow lock (ulckpwdf): this process does not hold it");
        }
    }

    @Override
    public void setHostname(String hostname) {
        if (hostname == null || hostname.isEmpty() || hostname.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("The hostname is empty or holds a NUL character");
        }
        byte[] name = hostname.getBytes(StandardCharsets.UTF_8);
        Function sethostname = function(cLibrary(), "sethostname", "libc");
        if (sethostname.invokeInt(new Object[] {name, new NativeLong(name.length)}) != 0) {
            throw new IllegalStateException("Could not set the hostname to " + hostname + errnoText());
        }
    }

    /** _IOWR('X', 119, int) and _IOWR('X', 120, int) from linux/fs.h. */
    static final long FIFREEZE = 0xC0045877L;
    static final long FITHAW = 0xC0045878L;
    private static final int O_RDONLY = 0;
    private static final int O_CLOEXEC = 02000000;

    @Override
    public int freezeOrThaw(String mountPoint, boolean freeze) throws IOException {
        NativeLibrary c = cLibrary();
        int fd;
        try {
            fd = c.getFunction("open", Function.THROW_LAST_ERROR).invokeInt(new Object[] {mountPoint, O_RDONLY | O_CLOEXEC});
        } catch (LastErrorException e) {
            throw new IOException(errorText(e.getErrorCode()));
        }
        try {
            c.getFunction("ioctl", Function.THROW_LAST_ERROR).invokeInt(new Object[] {fd, new NativeLong(freeze ? FIFREEZE : FITHAW), 0});
            return 0;
        } catch (LastErrorException e) {
            return e.getErrorCode();
        } finally {
            c.getFunction("close").invokeInt(new Object[] {fd});
        }
    }

    private static final int AF_INET = 2;
    private static final int AF_INET6 = 10;

    @Override
    public List<InterfaceAddress> interfaceAddresses() {
        NativeLibrary c = cLibrary();
        com.sun.jna.ptr.PointerByReference list = new com.sun.jna.ptr.PointerByReference();
        try {
            c.getFunction("getifaddrs", Function.THROW_LAST_ERROR).invokeInt(new Object[] {list});
        } catch (LastErrorException e) {
            throw new IllegalStateException("getifaddrs failed: " + errorText(e.getErrorCode()));
        }
        List<InterfaceAddress> addresses = new java.util.ArrayList<>();
        try {
            // struct ifaddrs: next, name, flags (an int, padded to a pointer), addr, netmask, ...
            long p = Native.POINTER_SIZE;
            for (Pointer entry = list.getValue(); entry != null; entry = entry.getPointer(0)) {
                Pointer address = entry.getPointer(3 * p);
                Pointer netmask = entry.getPointer(4 * p);
                if (address == null) {
                    continue;
                }
                int family = address.getShort(0) & 0xffff;
                if (family != AF_INET && family != AF_INET6) {
                    continue;
                }
                boolean ipv6 = family == AF_INET6;
                // sockaddr_in: the address at 4; sockaddr_in6: at 8
                byte[] bytes = address.getByteArray(ipv6 ? 8 : 4, ipv6 ? 16 : 4);
                int prefix = 0;
                if (netmask != null) {
                    for (byte b : netmask.getByteArray(ipv6 ? 8 : 4, ipv6 ? 16 : 4)) {
                        prefix += Integer.bitCount(b & 0xff);
                    }
                }
                addresses.add(new InterfaceAddress(entry.getPointer(p).getString(0), ipv6, bytes, prefix));
            }
        } finally {
            c.getFunction("freeifaddrs").invokeVoid(new Object[] {list.getValue()});
        }
        return addresses;
    }

    @Override
    public String errorText(int errno) {
        Pointer text = function(cLibrary(), "strerror", "libc").invokePointer(new Object[] {errno});
        return text == null ? "errno " + errno : text.getString(0);
    }

    private static String errnoText() {
        int errno = Native.getLastError();
        return errno == 0 ? "" : " (errno " + errno + ")";
    }

    private synchronized NativeLibrary cryptLibrary() {
        if (crypt == null) {
            crypt = load(cryptLibraries, "libcrypt (libxcrypt), needed for crypt(3)");
        }
        return crypt;
    }

    private synchronized NativeLibrary cLibrary() {
        if (libc == null) {
            libc = load(cLibraries, "the C library");
        }
        return libc;
    }

    private static NativeLibrary load(List<String> names, String what) {
        UnsatisfiedLinkError last = null;
        for (String name : names) {
            try {
                return NativeLibrary.getInstance(name);
            } catch (UnsatisfiedLinkError e) {
                last = e;
            }
        }
        throw new UnsupportedOperationException("Cannot load " + what + ": none of " + names + " was found"
                + (last == null ? "" : " (" + firstLine(last.getMessage()) + ")"));
    }

    static Function function(NativeLibrary library, String symbol, String libraryName) {
        Function function = optionalFunction(library, symbol);
        if (function == null) {
            throw new UnsupportedOperationException("The function " + symbol + " is missing from " + libraryName
                    + " (" + library.getFile() + ")");
        }
        return function;
    }

    private static Function optionalFunction(NativeLibrary library, String symbol) {
        try {
            return library.getFunction(symbol);
        } catch (UnsatisfiedLinkError e) {
            return null;
        }
    }

    /** The key as UTF-8 with a terminating NUL; a NUL inside would silently cut the key short. */
    private static byte[] nulTerminatedUtf8(char[] key) {
        if (key == null) {
            throw new IllegalArgumentException("The key is missing");
        }
        for (char c : key) {
            if (c == '\0') {
                throw new IllegalArgumentException("The key holds a NUL character");
            }
        }
        CharsetEncoder encoder = StandardCharsets.UTF_8.newEncoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer encoded;
        try {
            encoded = encoder.encode(CharBuffer.wrap(key));
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("The key is not valid Unicode text");
        }
        byte[] bytes = new byte[encoded.remaining() + 1];
        encoded.get(bytes, 0, encoded.remaining());
        if (encoded.hasArray()) {
            Arrays.fill(encoded.array(), (byte) 0);
        }
        return bytes;
    }

    private static String firstLine(String text) {
        if (text == null) {
            return "";
        }
        int end = text.indexOf('\n');
        return end < 0 ? text : text.substring(0, end);
    }
}
