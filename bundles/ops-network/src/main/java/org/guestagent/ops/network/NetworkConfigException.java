package org.guestagent.ops.network;

/** The network could not be configured; the message says why, for the host to read. */
public class NetworkConfigException extends Exception {
    private static final long serialVersionUID = 1L;

    public NetworkConfigException(String message) {
        super(message);
    }

    public NetworkConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
