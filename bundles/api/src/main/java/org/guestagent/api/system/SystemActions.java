package org.guestagent.api.system;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

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

    /** True when this implementation only records. */
    boolean isRecording();

    /** The actions recorded so far, one line each (empty for the real implementation). */
    List<String> recorded();
}
