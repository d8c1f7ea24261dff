package org.guestagent.commands.qga;

import java.util.Base64;

import org.guestagent.api.command.CommandException;

/** Base64 as qemu-ga decodes it, with its error text. */
final class Base64Text {
    static final String INVALID = "Base64 data contains invalid characters";

    private Base64Text() {
    }

    static byte[] decode(String text) {
        try {
            return Base64.getMimeDecoder().decode(strict(text));
        } catch (IllegalArgumentException e) {
            throw new CommandException(INVALID);
        }
    }

    /** The MIME decoder skips what is not base64; qemu-ga refuses it (white space aside). */
    private static String strict(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+'
                    || c == '/' || c == '=' || c == '\n' || c == '\r' || c == ' ' || c == '\t';
            if (!ok) {
                throw new IllegalArgumentException();
            }
        }
        return text;
    }
}
