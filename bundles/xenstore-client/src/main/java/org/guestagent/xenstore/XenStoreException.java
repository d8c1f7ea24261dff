package org.guestagent.xenstore;

import java.io.IOException;

/** XenStore answered with an ERROR reply; {@link #errno()} is its errno name, e.g. {@code ENOENT}. */
public class XenStoreException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String errno;

    public XenStoreException(String errno, String what) {
        super("XenStore refused " + what + ": " + errno);
        this.errno = errno;
    }

    public String errno() {
        return errno;
    }

    public boolean isNoEntry() {
        return "ENOENT".equals(errno);
    }

    /** EAGAIN: a transaction conflicted with another change and should be run again. */
    public boolean isTryAgain() {
        return "EAGAIN".equals(errno);
    }
}
