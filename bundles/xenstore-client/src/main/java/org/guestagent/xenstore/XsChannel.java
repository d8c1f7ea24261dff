package org.guestagent.xenstore;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

/** A connection to xenstored that can read and write concurrently from two threads. */
public interface XsChannel extends Closeable {

    /** Fills the buffer completely; end of stream is an {@link java.io.EOFException}. */
    void readFully(ByteBuffer dst) throws IOException;

    /** Writes the whole buffer; callers pass one or more whole messages. */
    void writeFully(ByteBuffer src) throws IOException;
}
