package org.guestagent.ops.password.shadow;

import java.security.SecureRandom;

/**
 * Chooses the crypt(3) setting for a new hash so that it looks like the old one: the same method
 * ({@code $id$}), the same parameters (rounds, cost) and the same salt length, with a fresh salt.
 * Where the old entry has no method ({@code *}, {@code !}, empty, a DES hash) or one we cannot
 * imitate, SHA-512 ({@code $6$}) with 16 salt characters, the default of current distributions.
 *
 * @param setting    what to pass to crypt(3)
 * @param methodKept false when the default replaced an unknown method
 */
record CryptSetting(String setting, boolean methodKept) {

    static final String DEFAULT_METHOD = "$6$";
    static final int DEFAULT_SALT = 16;
    /** crypt's base-64 alphabet (also yescrypt's). */
    static final String ALPHABET = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    /** bcrypt orders the same characters differently. */
    static final String BCRYPT_ALPHABET = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    /** A setting like the old hash; leading '!' (a locked account) are ignored for the method. */
    static CryptSetting like(String oldHash, SecureRandom random) {
        String hash = oldHash == null ? "" : oldHash;
        int unlocked = 0;
        while (unlocked < hash.length() && hash.charAt(unlocked) == '!') {
            unlocked++;
        }
        String[] parts = hash.substring(unlocked).split("\\$", -1); // "$6$salt$sum" -> "", "6", "salt", "sum"
        if (parts.length < 3 || !parts[0].isEmpty()) {
            return fallback(random, parts.length >= 2 && parts[0].isEmpty());
        }
        switch (parts[1]) {
            case "1":
                return sha(parts, 8, random);
            case "5":
            case "6":
                return sha(parts, 16, random);
            case "y":
            case "gy":
                return yescrypt(parts, random);
            case "2a":
            case "2b":
            case "2y":
                return bcrypt(parts, random);
            default:
                return fallback(random, true);
        }
    }

    /** MD5-crypt and SHA-crypt: {@code $id$[rounds=N$]salt$sum}, salt at most {@code max} characters. */
    private static CryptSetting sha(String[] parts, int max, SecureRandom random) {
        String rounds = "";
        int salt = 2;
        if (parts[2].startsWith("rounds=") && !parts[1].equals("1")) {
            if (parts.length < 4 || !parts[2].substring(7).matches("[0-9]{1,9}")) {
                return fallback(random, true);
            }
            rounds = parts[2] + "$";
            salt = 3;
        }
        int length = Math.min(parts[salt].length(), max);
        if (length == 0) {
            length = max; // an empty salt is no salt: use a full one
        }
        return new CryptSetting("$" + parts[1] + "$" + rounds + randomText(length, random), true);
    }

    /** yescrypt: {@code $y$params$salt$sum}; the salt encodes bytes, so its last character is bounded. */
    private static CryptSetting yescrypt(String[] parts, SecureRandom random) {
        if (parts.length < 4 || !isAlphabet(parts[2], ALPHABET)) {
            return fallback(random, true);
        }
        int bytes = parts[3].length() * 6 / 8;
        byte[] salt = new byte[bytes == 0 ? 16 : bytes];
        random.nextBytes(salt);
        return new CryptSetting("$" + parts[1] + "$" + parts[2] + "$" + littleEndianBase64(salt), true);
    }

    /** bcrypt: {@code $2b$cost$} followed by 22 characters of salt (16 bytes) and the sum. */
    private static CryptSetting bcrypt(String[] parts, SecureRandom random) {
        if (!parts[2].matches("[0-9]{2}")) {
            return fallback(random, true);
        }
        byte[] salt = new byte[16];
        random.nextBytes(salt);
        return new CryptSetting("$" + parts[1] + "$" + parts[2] + "$" + bcryptBase64(salt), true);
    }

    /** The default; {@code hadMethod} tells whether a method was there and is now replaced. */
    private static CryptSetting fallback(SecureRandom random, boolean hadMethod) {
        return new CryptSetting(DEFAULT_METHOD + randomText(DEFAULT_SALT, random), !hadMethod);
    }

    /** The method of a setting or hash for log lines, e.g. {@code $6$}; never the salt. */
    static String methodOf(String hash) {
        int end = hash.startsWith("$") ? hash.indexOf('$', 1) : -1;
        return end > 0 ? hash.substring(0, end + 1) : "(none)";
    }

    private static String randomText(int length, SecureRandom random) {
        StringBuilder text = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            text.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
        }
        return text.toString();
    }

    private static boolean isAlphabet(String text, String alphabet) {
        return !text.isEmpty() && text.chars().allMatch(c -> alphabet.indexOf(c) >= 0);
    }

    /** yescrypt's encoding: groups of three bytes, least significant six bits first. */
    static String littleEndianBase64(byte[] data) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < data.length; i += 3) {
            int value = 0;
            int bits = 0;
            for (int j = 0; j < 3 && i + j < data.length; j++) {
                value |= (data[i + j] & 0xff) << (8 * j);
                bits += 8;
            }
            for (; bits > 0; bits -= 6) {
                out.append(ALPHABET.charAt(value & 0x3f));
                value >>>= 6;
            }
        }
        return out.toString();
    }

    /** bcrypt's encoding: most significant bits first, no padding. */
    static String bcryptBase64(byte[] data) {
        StringBuilder out = new StringBuilder();
        int bits = 0;
        int value = 0;
        for (byte b : data) {
            value = (value << 8) | (b & 0xff);
            bits += 8;
            while (bits >= 6) {
                bits -= 6;
                out.append(BCRYPT_ALPHABET.charAt((value >>> bits) & 0x3f));
            }
        }
        if (bits > 0) {
            out.append(BCRYPT_ALPHABET.charAt((value << (6 - bits)) & 0x3f));
        }
        return out.toString();
    }
}
