package org.guestagent.api.transport;

import java.io.IOException;

import org.guestagent.api.hostdata.HostData;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * Moves raw requests from the host to the guest and answers back. Publish it as a service
 * with the property {@value #PROTOCOL}; the core pairs it with the {@link Parser} of the same
 * protocol and runs one dispatcher thread that calls {@link #receive()} and {@link #reply} in turn.
 */
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

    /**
     * What the host publishes for this guest out of band through this exchange (its hostname, its
     * network data), handed to the commands of the requests it carries; {@code null} when the
     * exchange carries none.
     */
    default HostData hostData() {
        return null;
    }

    /** A short name for logs and the shell, e.g. {@code xenstore:/var/run/xenstored/socket}. */
    default String describe() {
        return getClass().getSimpleName();
    }
}
