package org.guestagent.commands.password;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import org.guestagent.api.platform.NativePlatform;

/**
 * A pure-Java stand-in for crypt(3), for the crash test's many short-lived JVMs: loading JNA is
 * a good part of each one's start-up, and the crash test is about the file, not the hash. The hash is
 * {@code setting$hex(SHA-512(setting ‖ key))}, so a reader can still tell which password it holds.
 */
final class StandInCrypt implements NativePlatform {

    @Override
    public String crypt(char[] key, String setting) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-512");
            sha.update(setting.getBytes(StandardCharsets.US_ASCII));
            sha.update(new String(key).getBytes(StandardCharsets.UTF_8));
            return setting + "$" + HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void lockShadow() {
        throw new UnsupportedOperationException("not on a scratch root");
    }

    @Override
    public void unlockShadow() {
        throw new UnsupportedOperationException("not on a scratch root");
    }

    @Override
    public void setHostname(String hostname) {
        throw new UnsupportedOperationException("not used by the password commands");
    }

    /** The setting part of a stand-in hash: everything before its last '$'. */
    static String settingOf(String hash) {
        return hash.substring(0, hash.lastIndexOf('$'));
    }
}
