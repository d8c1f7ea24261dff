package org.guestagent.api.system;

/**
 * How a file is written.
 *
 * @param mode     POSIX permission bits for a new file (e.g. 0644); an existing file keeps its own
 *                 mode unless {@code forceMode}
 * @param forceMode apply {@code mode} even when the file exists
 * @param backups  how many timestamped backups of the previous version to keep beside it
 *                 ({@code name.bak.<timestamp>}); 0 keeps none
 */
public record WriteOptions(int mode, boolean forceMode, int backups) {

    /** 0644, existing mode kept, no backup. */
    public static final WriteOptions DEFAULT = new WriteOptions(0644, false, 0);

    public static WriteOptions mode(int mode) {
        return new WriteOptions(mode, false, 0);
    }

    public WriteOptions withBackups(int count) {
        return new WriteOptions(mode, forceMode, count);
    }

    public WriteOptions forced() {
        return new WriteOptions(mode, true, backups);
    }
}
