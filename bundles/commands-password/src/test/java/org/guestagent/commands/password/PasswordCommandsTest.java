package org.guestagent.commands.password;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import org.guestagent.api.command.CommandArgument;
import org.guestagent.api.command.CommandException;
import org.guestagent.api.command.CommandResult;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PasswordCommandsTest {

    static final BigInteger P = Host.P;

    @TempDir
    Path root;
    ScratchGuest guest;
    TestSession session;

    @BeforeEach
    void guest() throws Exception {
        guest = new ScratchGuest(root).withShadow(ScratchGuest.SHADOW_BEFORE);
        session = new TestSession("xenstore");
    }

    /** The answer the host reads, as the core makes it from a return value or a CommandException. */
    static NovaAnswer answer(Supplier<Object> command) {
        try {
            Object result = command.get();
            return result instanceof CommandResult r ? NovaAnswer.of(r) : NovaAnswer.ok((String) result);
        } catch (CommandException e) {
            return NovaAnswer.of(e);
        }
    }

    NovaAnswer password(String base64) {
        return answer(() -> guest.commands.password(CommandArgument.of(base64), session.request()));
    }

    NovaAnswer keyinit(Object hostKey) {
        return answer(() -> guest.commands.keyinit(CommandArgument.of(hostKey), session.request()));
    }

    @Test
    void theHostWithOpensslSetsTheRootPassword() throws Exception {
        BigInteger secret = guest.keyinit(session);
        String encrypted = Tools.opensslEncrypt(secret, "N3w-r00t pass\n".getBytes(StandardCharsets.UTF_8));

        assertEquals(NovaAnswer.ok(""), password(encrypted));

        String hash = guest.rootHash();
        assertTrue(hash.startsWith("$6$"), hash);
        String salt = hash.split("\\$")[2];
        assertEquals(16, salt.length(), "salt length of the old hash");
        assertNotEquals("oldsaltoldsalt12", salt, "a fresh salt");
        assertTrue(Tools.pythonVerifies("N3w-r00t pass", hash), "Python's crypt accepts the new password");
        assertFalse(Tools.pythonVerifies("N3w-r00t pass\n", hash), "the trailing newline was stripped");
        assertEquals(Tools.mkpasswdSha512("N3w-r00t pass", salt), hash, "mkpasswd agrees");
    }

    @Test
    void everyOtherByteOfTheShadowFileStays() throws Exception {
        BigInteger secret = guest.keyinit(session);
        assertEquals("0", password(Tools.opensslEncrypt(secret, "pw-1234\n".getBytes())).code());

        List<String> before = ScratchGuest.SHADOW_BEFORE.lines().toList();
        List<String> after = guest.shadowText().lines().toList();
        assertEquals(before.size(), after.size());
        assertEquals(before.subList(1, before.size()), after.subList(1, after.size()));
        assertTrue(guest.shadowText().endsWith("nobody:!:19000::::::\n"));
        String[] fields = after.get(0).split(":", -1);
        String[] old = before.get(0).split(":", -1);
        assertEquals(old.length, fields.length);
        assertEquals(Long.toString(ScratchGuest.TODAY), fields[2], "last change is today, as passwd(1) sets it");
        for (int i = 3; i < fields.length; i++) {
            assertEquals(old[i], fields[i], "aging field " + i);
        }
    }

    @Test
    void ownerAndModeAreKept() throws Exception {
        Path shadow = guest.shadow();
        Object gid = Files.getAttribute(shadow, "unix:gid", LinkOption.NOFOLLOW_LINKS);
        BigInteger secret = guest.keyinit(session);
        assertEquals("0", password(Tools.opensslEncrypt(secret, "pw-1234\n".getBytes())).code());
        assertEquals(0640, (Integer) Files.getAttribute(shadow, "unix:mode") & 07777);
        assertEquals(gid, Files.getAttribute(shadow, "unix:gid", LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void keyinitAnswersD0WithTheAgentsPublicKey() {
        Host host = new Host();
        NovaAnswer answer = keyinit(host.publicKey.toString());
        assertEquals("D0", answer.code());
        BigInteger agentKey = new BigInteger(answer.message());
        assertTrue(agentKey.compareTo(BigInteger.ONE) > 0 && agentKey.compareTo(P.subtract(BigInteger.ONE)) < 0);
        assertNotEquals(answer.message(), keyinit(host.publicKey.toString()).message(), "a new private key each time");
    }

    @Test
    void keyinitAcceptsAJsonNumberFromOldHosts() throws Exception {
        Host host = new Host();
        NovaAnswer answer = keyinit(host.publicKey); // a BigInteger, as the JSON parser gives a number
        assertEquals("D0", answer.code());
        BigInteger secret = host.sharedSecret(answer.message());
        assertEquals("0", password(Tools.opensslEncrypt(secret, "from-an-old-host\n".getBytes())).code());
        assertTrue(Tools.pythonVerifies("from-an-old-host", guest.rootHash()));
    }

    @Test
    void badHostKeysAreRefusedWithAClearMessage() throws Exception {
        List<Object> bad = List.of("0", "1", P.subtract(BigInteger.ONE).toString(), P.toString(), P.add(BigInteger.ONE).toString(),
                P.multiply(P).toString(), "not a number", "-5", "12.5", "0x1f", "", BigInteger.ZERO, BigInteger.ONE,
                new java.math.BigDecimal("1234.5"), Boolean.TRUE, Map.of("key", "123"), List.of("123"));
        for (Object key : bad) {
            guest.keyinit(session); // a key agreed before the bad keyinit ...
            NovaAnswer answer = keyinit(key);
            assertEquals("500", answer.code(), "key " + key);
            assertTrue(answer.message().startsWith("Invalid keyinit: The public key"), key + " -> " + answer.message());
            assertFalse(answer.message().contains("Exception"), answer.message());
            // ... is gone: the host started a new exchange that failed
            assertEquals(new NovaAnswer("500", "Password without key exchange"), password("AAAAAAAAAAAAAAAAAAAAAA=="));
        }
        assertEquals(ScratchGuest.SHADOW_BEFORE, guest.shadowText());
    }

    @Test
    void passwordWithoutKeyExchange() {
        assertEquals(new NovaAnswer("500", "Password without key exchange"), password("AAAAAAAAAAAAAAAAAAAAAA=="));
    }

    @Test
    void dataThatIsNotBase64() throws Exception {
        for (String bad : List.of("not base64!", "AAAAA", "AA=A", "€€€€")) {
            guest.keyinit(session); // three failures drop a key
            assertEquals(new NovaAnswer("500", "Couldn't decode base64 data"), password(bad), bad);
        }
        guest.keyinit(session);
        assertEquals(new NovaAnswer("500", "Couldn't decode base64 data"),
                answer(() -> guest.commands.password(CommandArgument.of(BigInteger.TEN), session.request())));
        assertEquals(ScratchGuest.SHADOW_BEFORE, guest.shadowText());
    }

    @Test
    void wrongPaddingAndShortData() throws Exception {
        BigInteger secret = guest.keyinit(session);
        // whole blocks without padding: the last byte 0x00 (and then 0x11) is no PKCS#7 padding
        String zeroPad = Tools.opensslEncrypt(secret, "abcdefghijklmno\0".getBytes(StandardCharsets.ISO_8859_1), "-nopad");
        String tooLongPad = Tools.opensslEncrypt(secret, "abcdefghijklmno\u0011".getBytes(StandardCharsets.ISO_8859_1), "-nopad");
        // 0x02 0x03 at the end: the pad byte says 3 but the bytes before it differ
        String unequalPad = Tools.opensslEncrypt(secret, "abcdefghijklm\u0002\u0003\u0003".getBytes(StandardCharsets.ISO_8859_1), "-nopad");
        byte[] valid = Base64.getDecoder().decode(Tools.opensslEncrypt(secret, "pw\n".getBytes()));
        String truncated = Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(valid, 10));
        for (String bad : List.of(zeroPad, tooLongPad, unequalPad, truncated, "", "AAAA")) {
            assertEquals(new NovaAnswer("500", "Invalid password data received"), password(bad), bad);
            secret = guest.keyinit(session); // three failures drop a key
            zeroPad = Tools.opensslEncrypt(secret, "abcdefghijklmno\0".getBytes(StandardCharsets.ISO_8859_1), "-nopad");
            tooLongPad = Tools.opensslEncrypt(secret, "abcdefghijklmno\u0011".getBytes(StandardCharsets.ISO_8859_1), "-nopad");
            unequalPad = Tools.opensslEncrypt(secret, "abcdefghijklm\u0002\u0003\u0003".getBytes(StandardCharsets.ISO_8859_1), "-nopad");
        }
        assertEquals(ScratchGuest.SHADOW_BEFORE, guest.shadowText());
        // the key survives a failure: the host may send again
        assertEquals("500", password(zeroPad).code());
        assertEquals("0", password(Tools.opensslEncrypt(secret, "pw-after-errors\n".getBytes())).code());
    }

    @Test
    void aFourKibCiphertextIsRefused() throws Exception {
        BigInteger secret = guest.keyinit(session);
        String big = Tools.opensslEncrypt(secret, ("x".repeat(4096) + "\n").getBytes());
        NovaAnswer answer = password(big);
        assertEquals("500", answer.code());
        assertEquals(new NovaAnswer("500", "Invalid password data received"), answer);
        byte[] random = new byte[4096];
        new java.security.SecureRandom().nextBytes(random);
        assertEquals(answer, password(Base64.getEncoder().encodeToString(random)));
        assertEquals(ScratchGuest.SHADOW_BEFORE, guest.shadowText());
    }

    @Test
    void aPasswordOfUpTo511BytesIsAccepted() throws Exception {
        BigInteger secret = guest.keyinit(session);
        String longest = "L".repeat(PasswordCommands.MAX_PASSWORD_BYTES);
        assertEquals("0", password(Tools.opensslEncrypt(secret, (longest + "\n").getBytes())).code());
        assertTrue(Tools.pythonVerifies(longest, guest.rootHash()));
        String before = guest.shadowText();
        secret = guest.keyinit(session);
        NovaAnswer tooLong = password(Tools.opensslEncrypt(secret, (longest + "L\n").getBytes()));
        assertEquals(new NovaAnswer("500", "Invalid password data received"), tooLong);
        assertEquals(before, guest.shadowText());
    }

    @Test
    void passwordsWithNulOrControlBytesAreRefused() throws Exception {
        NovaAnswer invalid = new NovaAnswer("500", "Invalid password data received");
        for (byte[] bad : List.of("ab\0cd\n".getBytes(StandardCharsets.ISO_8859_1), "two\nlines\n".getBytes(),
                new byte[] {'a', (byte) 0xff, 'b', '\n'}, "\n".getBytes())) {
            BigInteger secret = guest.keyinit(session);
            assertEquals(invalid, password(Tools.opensslEncrypt(secret, bad)));
        }
        assertEquals(ScratchGuest.SHADOW_BEFORE, guest.shadowText());
    }

    @Test
    void trailingNewlinesAreStrippedAndUnicodeKept() throws Exception {
        BigInteger secret = guest.keyinit(session);
        assertEquals("0", password(Tools.opensslEncrypt(secret, "pässwörd €\n\n".getBytes(StandardCharsets.UTF_8))).code());
        assertTrue(Tools.pythonVerifies("pässwörd €", guest.rootHash()));
    }

    @Test
    void theKeyIsForgottenAfterASuccessfulChange() throws Exception {
        BigInteger secret = guest.keyinit(session);
        String encrypted = Tools.opensslEncrypt(secret, "once-only\n".getBytes());
        assertEquals("0", password(encrypted).code());
        assertEquals(new NovaAnswer("500", "Password without key exchange"), password(encrypted));
    }

    @Test
    void aPasswordRacingASecondKeyinitIsRefused() throws Exception {
        BigInteger first = guest.keyinit(session);
        String encryptedWithFirst = Tools.opensslEncrypt(first, "first-key-pass\n".getBytes());
        BigInteger second = guest.keyinit(session); // a second keyinit overtook the password
        NovaAnswer answer = password(encryptedWithFirst);
        assertEquals("500", answer.code());
        assertEquals(ScratchGuest.SHADOW_BEFORE, guest.shadowText());
        // the second exchange still completes
        assertEquals("0", password(Tools.opensslEncrypt(second, "second-key-pass\n".getBytes())).code());
        assertTrue(Tools.pythonVerifies("second-key-pass", guest.rootHash()));
    }

    @Test
    void twoExchangesNeverMixKeys() throws Exception {
        TestSession other = new TestSession("virtio");
        BigInteger mine = guest.keyinit(session);
        BigInteger theirs = guest.keyinit(other);
        String forMine = Tools.opensslEncrypt(mine, "mine-pass\n".getBytes());
        assertEquals("500", answer(() -> guest.commands.password(CommandArgument.of(forMine), other.request())).code());
        assertEquals(ScratchGuest.SHADOW_BEFORE, guest.shadowText());
        assertEquals("0", password(forMine).code());
        String forTheirs = Tools.opensslEncrypt(theirs, "their-pass\n".getBytes());
        assertEquals("0", answer(() -> guest.commands.password(CommandArgument.of(forTheirs), other.request())).code());
        assertTrue(Tools.pythonVerifies("their-pass", guest.rootHash()));
    }

    @Test
    void theAgentDecryptsWhatOpensslEncryptsWrappedAt64Columns() throws Exception {
        BigInteger secret = guest.keyinit(session);
        String oneLine = Tools.opensslEncrypt(secret, ("wrapped-" + "w".repeat(60) + "\n").getBytes());
        StringBuilder wrapped = new StringBuilder();
        for (int i = 0; i < oneLine.length(); i += 64) {
            wrapped.append(oneLine, i, Math.min(oneLine.length(), i + 64)).append('\n');
        }
        assertEquals("0", password(wrapped.toString()).code());
        assertTrue(Tools.pythonVerifies("wrapped-" + "w".repeat(60), guest.rootHash()));
    }

    @Test
    void aPasswordRacingAKeyinitOnAnotherThreadIsAllOrNothing() throws Exception {
        for (int round = 0; round < 10; round++) {
            guest.withShadow(ScratchGuest.SHADOW_BEFORE);
            BigInteger secret = guest.keyinit(session);
            String encrypted = Tools.opensslEncrypt(secret, "racing-pass\n".getBytes());
            java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.CompletableFuture<NovaAnswer> passwordAnswer = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                awaitQuietly(start);
                return password(encrypted);
            });
            java.util.concurrent.CompletableFuture<NovaAnswer> keyinitAnswer = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                awaitQuietly(start);
                return keyinit(new Host().publicKey.toString());
            });
            start.countDown();
            assertEquals("D0", keyinitAnswer.get(30, java.util.concurrent.TimeUnit.SECONDS).code());
            NovaAnswer answer = passwordAnswer.get(30, java.util.concurrent.TimeUnit.SECONDS);
            if (answer.code().equals("0")) {
                assertTrue(Tools.pythonVerifies("racing-pass", guest.rootHash()), "round " + round);
            } else {
                assertEquals("500", answer.code());
                assertEquals(ScratchGuest.SHADOW_BEFORE, guest.shadowText(), "round " + round);
            }
        }
    }

    @Test
    void theRequestLogRedactsThePasswordArgument() throws Exception {
        assertTrue(PasswordCommands.class.getMethod("password", CommandArgument.class, org.guestagent.api.command.CommandContext.class)
                .getAnnotation(org.guestagent.api.command.Command.class).secret());
    }

    private static void awaitQuietly(java.util.concurrent.CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
