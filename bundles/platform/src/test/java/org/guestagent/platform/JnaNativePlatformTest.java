package org.guestagent.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;

import com.sun.jna.NativeLibrary;

class JnaNativePlatformTest {

    private final JnaNativePlatform platform = new JnaNativePlatform();

    @Test
    void sha512MatchesMkpasswdAndPython() throws Exception {
        String hash = platform.crypt("s3cret pass".toCharArray(), "$6$abcdefghABCD0123");
        assertTrue(hash.startsWith("$6$abcdefghABCD0123$"), hash);
        assertEquals(ExternalTools.mkpasswd("sha-512", "abcdefghABCD0123", "s3cret pass"), hash);
        assertEquals(ExternalTools.pythonCrypt("s3cret pass", "$6$abcdefghABCD0123"), hash);
    }

    @Test
    void sha512WithRoundsMatchesMkpasswd() throws Exception {
        String hash = platform.crypt("pw".toCharArray(), "$6$rounds=10000$saltsalt");
        assertEquals(ExternalTools.mkpasswd("sha-512", "saltsalt", "pw", "-R", "10000"), hash);
    }

    @Test
    void sha256AndMd5MatchMkpasswd() throws Exception {
        assertEquals(ExternalTools.mkpasswd("sha256crypt", "abcdefgh", "pw"), platform.crypt("pw".toCharArray(), "$5$abcdefgh"));
        assertEquals(ExternalTools.mkpasswd("md5crypt", "abcdefgh", "pw"), platform.crypt("pw".toCharArray(), "$1$abcdefgh"));
    }

    @Test
    void yescryptMatchesPythonWhereSupported() throws Exception {
        String setting = "$y$j9T$HQclkbdBkPnUzlrsIQ.7w1"; // a salt libxcrypt made: its last character is bounded
        String expected;
        try {
            expected = ExternalTools.pythonCrypt("pw", setting);
        } catch (java.io.IOException e) {
            expected = null;
        }
        assumeTrue(expected != null && expected.startsWith("$y$"), "this libcrypt has no yescrypt");
        assertEquals(expected, platform.crypt("pw".toCharArray(), setting));
    }

    @Test
    void nonAsciiPasswordIsHashedAsUtf8() throws Exception {
        String password = "pässwörd-€";
        assertEquals(ExternalTools.pythonCrypt(password, "$6$abcdefgh"), platform.crypt(password.toCharArray(), "$6$abcdefgh"));
    }

    @Test
    void concurrentCallsEachGetTheirOwnHash() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<String>> hashes = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                String password = "pw" + (i % 2);
                hashes.add(pool.submit(() -> platform.crypt(password.toCharArray(), "$5$rounds=1000$abcdefgh")));
            }
            String zero = platform.crypt("pw0".toCharArray(), "$5$rounds=1000$abcdefgh");
            String one = platform.crypt("pw1".toCharArray(), "$5$rounds=1000$abcdefgh");
            for (int i = 0; i < hashes.size(); i++) {
                assertEquals(i % 2 == 0 ? zero : one, hashes.get(i).get());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void unknownMethodIsAClearError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> platform.crypt("pw".toCharArray(), "$99$abcdefgh"));
        assertTrue(e.getMessage().contains("$99$"), e.getMessage());
    }

    @Test
    void keyWithNulIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> platform.crypt("a\0b".toCharArray(), "$6$abcdefgh"));
    }

    @Test
    void missingLibraryIsUnsupported() {
        JnaNativePlatform broken = new JnaNativePlatform(List.of("no-such-crypt-library"), List.of("no-such-c-library"));
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> broken.crypt("pw".toCharArray(), "$6$abcdefgh"));
        assertTrue(e.getMessage().contains("libcrypt"), e.getMessage());
        assertThrows(UnsupportedOperationException.class, broken::lockShadow);
        assertThrows(UnsupportedOperationException.class, () -> broken.setHostname("guest"));
    }

    @Test
    void missingSymbolIsUnsupported() {
        // the lookup every call goes through, with a symbol no library has
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> JnaNativePlatform.function(NativeLibrary.getInstance("libc.so.6"), "no_such_function_here", "libc"));
        assertTrue(e.getMessage().contains("function no_such_function_here is missing from libc"), e.getMessage());
    }

    @Test
    void unlockingWithoutTheLockIsAnError() {
        // ulckpwdf without a prior lckpwdf touches no file: safe to call on the test machine
        assertThrows(IllegalStateException.class, platform::unlockShadow);
    }

    @Test
    void setsTheHostnameInsideAPrivateUtsNamespace() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "unshare --uts needs root");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/unshare")), "unshare (util-linux) is not installed");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String out = ExternalTools.run(List.of("/usr/bin/unshare", "--uts", java, "-cp", System.getProperty("java.class.path"),
                SetHostnameMain.class.getName(), "agent-test-host"));
        assertEquals("agent-test-host", out.lines().reduce((a, b) -> b).orElse(""));
    }
}
