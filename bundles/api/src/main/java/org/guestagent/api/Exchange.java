package org.guestagent.api;

import java.io.IOException;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Moves raw requests from the host to the guest and answers back. Publish it as a service
 * with the property {@value #PROTOCOL}; the core pairs it with the {@link Parser} of the same
 * protocol and runs one dispatcher thread that calls {@link #receive()} and {@link #reply} in turn.
 */
@Deprecated
@ConsumerType
public interface Exchange {

    /** Service property naming the protocol an exchange carries and a parser decodes. */
    String PROTOCOL = "agent.protocol";

    /**
     * Blocks until the next request arrives, in the order the host sent them.
     *
     * @return the request, or {@code null} when the wait timed out or the exchange is closing;
     *         the dispatcher then simply calls again (or stops, when it was told to)
     */
    RawRequest receive() throws IOException, InterruptedException;

    /**
     * Answers a request. An exchange whose host withdrew the request drops the answer quietly.
     */
    void reply(RawRequest request, byte[] response) throws IOException;

    /** A short name for logs and the shell, e.g. {@code xenstore:/var/run/xenstored/socket}. */
    default String describe() {
        return getClass().getSimpleName();
    }
}
