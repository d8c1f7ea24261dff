package org.guestagent.api.transport;

import org.guestagent.api.command.Session;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * Decodes one protocol: turns a raw request into a command call through the
 * {@link CommandInvoker}, and the outcome into the bytes the exchange sends back.
 * Publish it with the service property {@link Exchange#PROTOCOL}.
 */
@ConsumerType
public interface Parser {

    /**
     * Handles one request end to end. Must not throw: every failure becomes an answer in the
     * protocol's own error form, so the host always hears back.
     */
    byte[] handle(RawRequest request, CommandInvoker invoker, Session session);
}
