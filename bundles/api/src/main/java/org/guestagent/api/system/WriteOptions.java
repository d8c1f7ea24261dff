package org.guestagent.api.system;

/**
 * How a file is written.
 *
 * @param mode     POSIX permission bits for a new file (e.g. 0644); an existing file keeps its own
 *                 mode unless {@code forceMode}
 * @param forceMode apply {@code mode} even when the file exists
 * @param backups  how many timestamped backups of the previous version to keep beside it
 *                 ({@code name.bak.<timestamp>}); 0 keeps none
 * @param privateFolder the file's folder is private to the owner of the folder holding it, as
 *                 {@code ~/.ssh} is to the owner of the home folder: when it is created it gets
 *                 mode 0700 and that owner and group, and a new file in it gets that owner and group
 *                 (owners are given only when the agent runs as root)
 */
public record WriteOptions(int mode, boolean forceMode, int backups, boolean privateFolder) {

    /** 0644, existing mode kept, no backup. */
    public static final WriteOptions DEFAULT = new WriteOptions(0644, false, 0, false);

    public WriteOptions(int mode, boolean forceMode, int backups) {
        this(mode, forceMode, backups, false);
    }

    public static WriteOptions mode(int mode) {
        return new WriteOptions(mode, false, 0, false);
    }

    public WriteOptions withBackups(int count) {
        return new WriteOptions(mode, forceMode, count, privateFolder);
    }

    public WriteOptions forced() {
        return new WriteOptions(mode, true, backups, privateFolder);
    }

    /** See {@link #privateFolder()}. */
    public WriteOptions inPrivateFolder() {
        return new WriteOptions(mode, forceMode, backups, true);
    }
}
