package org.guestagent.xenstore;

import java.io.IOException;

/** The connection to XenStore was lost or could not be made in time; the request may be retried. */
public class XenStoreDisconnectedException extends IOException {
    private static final long serialVersionUID = 1L;

    public XenStoreDisconnectedException(String message) {
        super(message);
    }

    public XenStoreDisconnectedException(String message, Throwable cause) {
        super(message, cause);
    }
}
