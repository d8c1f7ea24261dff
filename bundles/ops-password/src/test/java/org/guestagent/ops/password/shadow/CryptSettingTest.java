package org.guestagent.ops.password.shadow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;

import org.guestagent.platform.JnaNativePlatform;
import org.junit.jupiter.api.Test;

class CryptSettingTest {

    private final SecureRandom random = new SecureRandom();

    @Test
    void shaCryptKeepsMethodRoundsAndSaltLength() {
        assertMatches("\\$6\\$[./0-9A-Za-z]{16}", CryptSetting.like("$6$abcdefghijklmnop$sum", random));
        assertMatches("\\$6\\$[./0-9A-Za-z]{8}", CryptSetting.like("$6$abcdefgh$sum", random));
        assertMatches("\\$5\\$[./0-9A-Za-z]{12}", CryptSetting.like("$5$abcdefghijkl$sum", random));
        assertMatches("\\$1\\$[./0-9A-Za-z]{8}", CryptSetting.like("$1$abcdefgh$sum", random));
        assertMatches("\\$6\\$rounds=10000\\$[./0-9A-Za-z]{16}", CryptSetting.like("$6$rounds=10000$abcdefghijklmnop$sum", random));
        assertMatches("\\$6\\$[./0-9A-Za-z]{16}", CryptSetting.like("$6$$sum", random)); // no salt: a full one
    }

    @Test
    void noMethodMeansSha512With16Characters() {
        for (String old : new String[] {"*", "!", "!!", "", "x", "abJnggxhB/yWI", "!*"}) {
            CryptSetting setting = CryptSetting.like(old, random);
            assertMatches("\\$6\\$[./0-9A-Za-z]{16}", setting);
            assertTrue(setting.methodKept(), old + ": there was no method to keep");
        }
    }

    @Test
    void aLockedEntryKeepsItsMethod() {
        assertMatches("\\$5\\$[./0-9A-Za-z]{10}", CryptSetting.like("!$5$abcdefghij$sum", random));
        assertMatches("\\$6\\$[./0-9A-Za-z]{16}", CryptSetting.like("!!$6$abcdefghijklmnop$sum", random));
    }

    @Test
    void unknownMethodsFallBackToSha512AndSaySo() {
        CryptSetting setting = CryptSetting.like("$md5,rounds=5000$abc$$sum", random);
        assertMatches("\\$6\\$[./0-9A-Za-z]{16}", setting);
        assertFalse(setting.methodKept());
        assertFalse(CryptSetting.like("$6$rounds=abc$salt$sum", random).methodKept());
    }

    @Test
    void yescryptAndBcryptSettingsAreAcceptedByTheSystemsCrypt() throws Exception {
        JnaNativePlatform platform = new JnaNativePlatform();
        for (int i = 0; i < 8; i++) { // the last salt character is bounded: try several random salts
            String y = CryptSetting.like("$y$j9T$HQclkbdBkPnUzlrsIQ.7w1$QyUfwsXgT1ft7b7E/hAPpgm422RFWqxNdcf.NMVJQxA", random).setting();
            assertMatches("\\$y\\$j9T\\$[./0-9A-Za-z]{22}", new CryptSetting(y, true));
            String hash = platform.crypt("pw".toCharArray(), y);
            assertTrue(Tools.pythonVerifies("pw", hash), hash);
        }
        String b = CryptSetting.like("$2b$05$x44zckzuewTqNpJBl2bMi.Vy8ddniv/guH6qf9Xw91D8sjveKBDGG", random).setting();
        assertMatches("\\$2b\\$05\\$[./0-9A-Za-z]{22}", new CryptSetting(b, true));
        assertTrue(Tools.pythonVerifies("pw", platform.crypt("pw".toCharArray(), b)));
    }

    @Test
    void encodersFollowTheirReferenceOrders() {
        // yescrypt: least significant bits first; 0x01 -> value 1 then 0 -> "/."
        assertEquals("/.", CryptSetting.littleEndianBase64(new byte[] {1}));
        assertEquals(22, CryptSetting.littleEndianBase64(new byte[16]).length());
        // bcrypt: most significant bits first; 0xff -> 111111 11(0000) -> "9u"
        assertEquals("9u", CryptSetting.bcryptBase64(new byte[] {(byte) 0xff}));
        assertEquals(22, CryptSetting.bcryptBase64(new byte[16]).length());
    }

    @Test
    void methodForLogsNeverShowsTheSalt() {
        assertEquals("$6$", CryptSetting.methodOf("$6$secretsalt$sum"));
        assertEquals("(none)", CryptSetting.methodOf("*"));
    }

    private static void assertMatches(String regex, CryptSetting setting) {
        assertTrue(setting.setting().matches(regex), setting.setting() + " !~ " + regex);
    }
}
