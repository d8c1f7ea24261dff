package org.guestagent.xenstore;

import java.io.IOException;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * One xs_wire message: a 16-byte little-endian header (type, req_id, tx_id, len) and a payload
 * of at most {@value #PAYLOAD_MAX} bytes. The type is kept as a number so that unknown types
 * can still be read and answered.
 */
public record XsMessage(int type, int reqId, int txId, byte[] payload) {

    public static final int HEADER_SIZE = 16;
    /** XENSTORE_PAYLOAD_MAX. */
    public static final int PAYLOAD_MAX = 4096;

    public XsMessage {
        payload = payload == null ? new byte[0] : payload;
    }

    public static XsMessage of(XsOperation op, int reqId, int txId, byte[] payload) {
        return new XsMessage(op.code(), reqId, txId, payload);
    }

    /** The operation, or null when the type number is unknown. */
    public XsOperation operation() {
        return XsOperation.fromCode(type);
    }

    /** The whole message as it goes on the wire. */
    public ByteBuffer encode() {
        ByteBuffer buffer = ByteBuffer.allocate(HEADER_SIZE + payload.length).order(ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(type).putInt(reqId).putInt(txId).putInt(payload.length).put(payload);
        return buffer.flip();
    }

    /** A decoded header: the payload length may exceed the limit; the caller decides what to do. */
    public record Header(int type, int reqId, int txId, long length) {
    }

    public static Header decodeHeader(ByteBuffer header) {
        ByteBuffer b = header.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        return new Header(b.getInt(), b.getInt(), b.getInt(), Integer.toUnsignedLong(b.getInt()));
    }

    /** Reads one whole message; a payload longer than the limit is a protocol error. */
    public static XsMessage read(XsChannel channel) throws IOException {
        ByteBuffer headerBytes = ByteBuffer.allocate(HEADER_SIZE);
        channel.readFully(headerBytes);
        Header header = decodeHeader(headerBytes.flip());
        if (header.length() > PAYLOAD_MAX) {
            throw new IOException("XenStore sent a message of " + header.length()
                    + " bytes, more than the protocol allows (" + PAYLOAD_MAX + ")");
        }
        ByteBuffer body = ByteBuffer.allocate((int) header.length());
        channel.readFully(body);
        return new XsMessage(header.type(), header.reqId(), header.txId(), body.array());
    }

    /** Payload of NUL-terminated strings, e.g. {@code path\0token\0}. */
    public static byte[] strings(String... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String part : parts) {
            out.writeBytes(part.getBytes(StandardCharsets.UTF_8));
            out.write(0);
        }
        return out.toByteArray();
    }

    /** Payload {@code path\0value} (the value is not terminated), as WRITE wants it. */
    public static byte[] pathAndValue(String path, byte[] value) {
        byte[] p = path.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[p.length + 1 + value.length];
        System.arraycopy(p, 0, out, 0, p.length);
        System.arraycopy(value, 0, out, p.length + 1, value.length);
        return out;
    }

    /**
     * Splits a payload at NUL bytes. A trailing terminator does not produce an empty last
     * element; text after the last NUL (unterminated) is returned as the last element.
     */
    public static List<String> split(byte[] payload) {
        List<String> parts = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < payload.length; i++) {
            if (payload[i] == 0) {
                parts.add(new String(payload, start, i - start, StandardCharsets.UTF_8));
                start = i + 1;
            }
        }
        if (start < payload.length) {
            parts.add(new String(payload, start, payload.length - start, StandardCharsets.UTF_8));
        }
        return parts;
    }

    /** The payload up to its first NUL, as text; for replies like {@code OK\0} and errno names. */
    public String firstString() {
        int end = 0;
        while (end < payload.length && payload[end] != 0) {
            end++;
        }
        return new String(payload, 0, end, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        XsOperation op = operation();
        return "XsMessage[" + (op == null ? "type " + type : op) + ", req " + reqId + ", tx " + txId
                + ", " + payload.length + " bytes]";
    }
}
