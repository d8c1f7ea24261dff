package org.guestagent.exchange.virtioserial;

import java.io.ByteArrayOutputStream;
import java.util.function.Consumer;

/**
 * Cuts the byte stream of one host connection into the JSON messages the QEMU guest agent protocol
 * carries back to back (a newline between them is optional), as qemu-ga's streamer does: an object
 * or array ends at its matching bracket, a string at its closing quote, any other top-level token
 * (a number, a stray keyword) at the next white space or bracket. The byte 0xFF drops whatever was
 * half received and is passed on as a message of its own, so the parser can answer it as qemu-ga does.
 * One splitter serves one connection; a new connection gets a new splitter, so no state survives it.
 */
final class MessageSplitter {
    /** The host's resynchronisation byte. */
    static final int RESET = 0xFF;

    private final Consumer<byte[]> messages;
    private final int maxMessageBytes;
    private final ByteArrayOutputStream message = new ByteArrayOutputStream(256);
    private int depth;
    private boolean inString;
    private boolean escaped;
    private boolean inScalar;
    /** Past maxMessageBytes: the rest of this message is counted, not kept. */
    private boolean skipping;

    MessageSplitter(int maxMessageBytes, Consumer<byte[]> messages) {
        this.maxMessageBytes = maxMessageBytes;
        this.messages = messages;
    }

    void feed(byte[] data, int offset, int length) {
        for (int i = offset; i < offset + length; i++) {
            feed(data[i] & 0xFF);
        }
    }

    private void feed(int b) {
        if (b == RESET) {
            clear();
            messages.accept(new byte[] {(byte) RESET});
            return;
        }
        if (inScalar) {
            if (isWhite(b) || b == '{' || b == '[' || b == '}' || b == ']' || b == '"' || b == ',' || b == ':') {
                emit();
            } else {
                keep(b);
                return;
            }
        }
        if (depth == 0 && !inString) {
            if (isWhite(b)) {
                return;
            }
            keep(b);
            switch (b) {
                case '{', '[' -> depth = 1;
                case '"' -> inString = true;
                case '}', ']', ',', ':' -> emit();
                default -> inScalar = true;
            }
            return;
        }
        keep(b);
        if (inString) {
            if (escaped) {
                escaped = false;
            } else if (b == '\\') {
                escaped = true;
            } else if (b == '"') {
                inString = false;
                if (depth == 0) {
                    emit();
                }
            }
            return;
        }
        switch (b) {
            case '"' -> inString = true;
            case '{', '[' -> depth++;
            case '}', ']' -> {
                if (--depth == 0) {
                    emit();
                }
            }
            default -> { }
        }
    }

    private static boolean isWhite(int b) {
        return b == ' ' || b == '\n' || b == '\r' || b == '\t';
    }

    private void keep(int b) {
        if (skipping) {
            return;
        }
        if (message.size() >= maxMessageBytes) {
            // too long to keep: hand on what we have (the parser answers it as broken JSON) and skip the rest
            messages.accept(message.toByteArray());
            message.reset();
            skipping = true;
            return;
        }
        message.write(b);
    }

    private void emit() {
        if (!skipping) {
            messages.accept(message.toByteArray());
        }
        clear();
    }

    private void clear() {
        message.reset();
        depth = 0;
        inString = false;
        escaped = false;
        inScalar = false;
        skipping = false;
    }

    /** True when part of a message has been received and not yet passed on. */
    boolean holdsPartialMessage() {
        return message.size() > 0 || depth > 0 || inString || inScalar;
    }
}
