package org.guestagent.api.system;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Everything besides file writes that changes the running guest. The real implementation acts;
 * the recording one (used with {@code --root}) only writes down what it was asked.
 */
@ProviderType
public interface SystemActions {

    /** The outcome of a program run. */
    record ExecResult(int exitCode, String stdout, String stderr) {
        public boolean ok() {
            return exitCode == 0;
        }
    }

    /** Sets the live hostname (the persisted one is a file, written through GuestFiles). */
    void setHostname(String hostname) throws IOException;

    /**
     * Runs a program and waits for it.
     *
     * @param command the program and its arguments
     * @param input   bytes for its standard input, or null
     */
    ExecResult run(List<String> command, byte[] input, Duration timeout) throws IOException;

    /**
     * Starts a program and returns at once (the QEMU guest agent's guest-exec). The program is
     * looked up in the agent's PATH when its name has no slash.
     *
     * @param command       the program and its arguments
     * @param environment   its whole environment, or null to inherit the agent's
     * @param pipeInput     give it a pipe as standard input (else /dev/null)
     * @param captureOutput give it pipes as standard output and error (else /dev/null)
     * @return the running program; the recording implementation returns one that has ended with 0
     *         and no output, and whose pid is a number of its own
     * @throws IOException when it cannot be started
     */
    default Process start(List<String> command, Map<String, String> environment, boolean pipeInput, boolean captureOutput)
            throws IOException {
        throw new UnsupportedOperationException("This system actions service cannot start programs");
    }

    /**
     * Freezes the file system mounted at a folder (the FIFREEZE ioctl): writes to it wait until it
     * is thawed.
     *
     * @return true when this call froze it; false when it cannot be frozen (EOPNOTSUPP) or is frozen
     *         already (EBUSY)
     * @throws IOException with the text {@code failed to open FOLDER: REASON} or
     *         {@code failed to freeze FOLDER: REASON}
     */
    default boolean freezeFilesystem(String mountPoint) throws IOException {
        throw new UnsupportedOperationException("This system actions service cannot freeze file systems");
    }

    /**
     * Thaws the file system mounted at a folder once (the FITHAW ioctl).
     *
     * @return true when it was frozen and this call thawed it; false when it was not frozen, or the
     *         folder cannot be opened
     */
    default boolean thawFilesystem(String mountPoint) {
        throw new UnsupportedOperationException("This system actions service cannot thaw file systems");
    }

    /** True when this implementation only records. */
    boolean isRecording();

    /** The actions recorded so far, one line each (empty for the real implementation). */
    List<String> recorded();
}
