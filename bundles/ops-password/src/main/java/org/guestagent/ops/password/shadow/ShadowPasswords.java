package org.guestagent.ops.password.shadow;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

import org.guestagent.api.platform.NativePlatform;
import org.guestagent.api.system.GuestFiles;
import org.guestagent.api.system.SystemActions;
import org.guestagent.api.system.WriteOptions;
import org.guestagent.ops.password.PasswordChangeException;
import org.guestagent.ops.password.UserPasswords;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Sets a user's password the way shadow-utils does: under the password-file lock, the user's entry
 * of /etc/shadow (FreeBSD: /etc/master.passwd, then pwd_mkdb) gets a new hash with the old
 * method and salt length (or the crypted hash given); every other byte of the file stays as it
 * was; GuestFiles writes the result atomically keeping owner and mode.
 * <p>
 * A locked entry ({@code !$6$...}) comes out unlocked: the host resets the password so that
 * somebody can log in with it, as the original agents did. The day of the last change is set to
 * today, as passwd(1) does, which also ends a forced change at next login.
 */
@Component(service = UserPasswords.class)
public final class ShadowPasswords implements UserPasswords {

    static final String SHADOW = "/etc/shadow";
    static final String MASTER_PASSWD = "/etc/master.passwd";

    private static final System.Logger LOG = System.getLogger(ShadowPasswords.class.getName());
    /** lckpwdf is held per process, not per thread: threads of this agent take turns here first. */
    private static final ReentrantLock THIS_PROCESS = new ReentrantLock();

    private final GuestFiles files;
    private final SystemActions actions;
    private final NativePlatform platform;
    private final SecureRandom random;
    private final Clock clock;

    @Activate
    public ShadowPasswords(@Reference(name = "files") GuestFiles files, @Reference(name = "actions") SystemActions actions,
            @Reference(name = "platform") NativePlatform platform) {
        this(files, actions, platform, new SecureRandom(), Clock.systemUTC());
    }

    /** With a chosen source of salts and clock (tests). */
    public ShadowPasswords(GuestFiles files, SystemActions actions, NativePlatform platform, SecureRandom random, Clock clock) {
        this.files = files;
        this.actions = actions;
        this.platform = platform;
        this.random = random;
        this.clock = clock;
    }

    @Override
    public void setPassword(String user, char[] password) throws PasswordChangeException {
        change(user, password, null);
    }

    @Override
    public void setCryptedPassword(String user, String hash) throws PasswordChangeException {
        if (hash == null || hash.isEmpty() || hash.indexOf(':') >= 0 || hash.indexOf('\n') >= 0) {
            throw new PasswordChangeException("Cannot set the password: the crypted password is not a usable hash");
        }
        change(user, null, hash);
    }

    /** Writes the hash of the password, or the hash given. */
    private void change(String user, char[] password, String crypted) throws PasswordChangeException {
        if (user == null || user.isEmpty() || user.indexOf(':') >= 0 || user.indexOf('\n') >= 0) {
            throw new PasswordChangeException("Cannot set the password: not a user name");
        }
        boolean freeBsd;
        if (Files.isRegularFile(files.resolve(SHADOW))) {
            freeBsd = false;
        } else if (Files.isRegularFile(files.resolve(MASTER_PASSWD))) {
            freeBsd = true;
        } else {
            throw new PasswordChangeException("Cannot set the password: this system has neither " + SHADOW + " nor " + MASTER_PASSWD);
        }
        String file = freeBsd ? MASTER_PASSWD : SHADOW;
        THIS_PROCESS.lock();
        try (PasswordFileLock lock = lock(freeBsd)) {
            rewrite(file, !freeBsd, user, password, crypted);
        } catch (IOException e) {
            throw new PasswordChangeException("Could not update " + file + ": " + reason(e));
        } catch (IllegalStateException | UnsupportedOperationException e) {
            throw new PasswordChangeException("Could not lock the password files: " + e.getMessage());
        } finally {
            THIS_PROCESS.unlock();
        }
        if (freeBsd) {
            rebuildFreeBsdDatabases();
        }
    }

    private PasswordFileLock lock(boolean freeBsd) throws IOException {
        if (freeBsd) {
            return PasswordFileLock.onFile(files.resolve(MASTER_PASSWD));
        }
        if (isRealRoot()) {
            return PasswordFileLock.lckpwdf(platform);
        }
        return PasswordFileLock.onFile(files.resolve("/etc/.pwd.lock"));
    }

    private boolean isRealRoot() {
        return files.root().toAbsolutePath().normalize().equals(Path.of("/"));
    }

    private void rewrite(String file, boolean shadow, String user, char[] password, String crypted)
            throws IOException, PasswordChangeException {
        byte[] old = files.readIfExists(file);
        if (old == null) {
            throw new IOException("the file vanished");
        }
        // ISO-8859-1 maps every byte to one char and back: the other lines stay byte for byte
        String text = new String(old, StandardCharsets.ISO_8859_1);
        int start = text.startsWith(user + ":") ? 0 : text.indexOf("\n" + user + ":") + 1;
        if (start == 0 && !text.startsWith(user + ":")) {
            throw new PasswordChangeException("Cannot set the password: " + file + " has no entry for " + user);
        }
        int end = text.indexOf('\n', start);
        end = end < 0 ? text.length() : end;
        String[] fields = text.substring(start, end).split(":", -1);

        String hash = crypted;
        if (hash == null) {
            CryptSetting setting = CryptSetting.like(fields[1], random);
            if (!setting.methodKept()) {
                LOG.log(System.Logger.Level.INFO, "The old " + user + " hash in " + file + " uses method "
                        + CryptSetting.methodOf(fields[1]) + ", which cannot be kept; using " + CryptSetting.DEFAULT_METHOD);
            }
            hash = hash(password, setting.setting());
        }
        fields[1] = hash;
        if (shadow && fields.length > 2) {
            fields[2] = Long.toString(clock.millis() / Duration.ofDays(1).toMillis());
        }
        String updated = text.substring(0, start) + String.join(":", fields) + text.substring(end);
        // GuestFiles keeps the existing file's owner and mode; 0600 only matters if it vanished meanwhile
        files.write(file, updated.getBytes(StandardCharsets.ISO_8859_1), WriteOptions.mode(0600));
        LOG.log(System.Logger.Level.DEBUG, "Password of " + user + " changed in " + file + " (method " + CryptSetting.methodOf(hash) + ")");
    }

    private String hash(char[] password, String setting) throws PasswordChangeException {
        String hash;
        try {
            hash = platform.crypt(password, setting);
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            throw new PasswordChangeException("Cannot hash the password: " + e.getMessage());
        }
        if (!hash.startsWith(setting) || hash.indexOf(':') >= 0 || hash.indexOf('\n') >= 0) {
            throw new PasswordChangeException("Cannot hash the password: crypt(3) returned an unusable hash");
        }
        return hash;
    }

    private void rebuildFreeBsdDatabases() throws PasswordChangeException {
        List<String> command = new ArrayList<>(List.of("pwd_mkdb", "-p"));
        if (!isRealRoot()) {
            command.addAll(List.of("-d", files.resolve("/etc").toString()));
        }
        command.add(files.resolve(MASTER_PASSWD).toString());
        SystemActions.ExecResult result;
        try {
            result = actions.run(command, null, Duration.ofSeconds(60));
        } catch (IOException e) {
            throw new PasswordChangeException("The password was written to " + MASTER_PASSWD + ", but pwd_mkdb could not run: " + reason(e));
        }
        if (!result.ok()) {
            throw new PasswordChangeException("The password was written to " + MASTER_PASSWD + ", but pwd_mkdb failed (exit "
                    + result.exitCode() + "): " + result.stderr().strip());
        }
    }

    private static String reason(IOException e) {
        return e.getMessage() == null ? "input/output error" : e.getMessage();
    }
}
