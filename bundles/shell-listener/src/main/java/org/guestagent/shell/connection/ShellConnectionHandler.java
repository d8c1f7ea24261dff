package org.guestagent.shell.connection;

import java.io.IOException;
import java.nio.channels.SocketChannel;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Serves one connection of the shell socket. The shell listener, which keeps the socket open,
 * accepts a connection, starts the shell's bundles if they are stopped, and hands the connection
 * to this service; nothing has been read from it yet.
 */
@ConsumerType
public interface ShellConnectionHandler {

    /**
     * Runs the connection until the client ends it (or says {@code exit}) and closes it. Called
     * on a thread of the listener, one per connection.
     */
    void serve(SocketChannel client) throws IOException;
}
