package org.guestagent.xenstore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class XsMessageTest {

    /** A channel over fixed bytes. */
    private static XsChannel channelOver(byte[] bytes) {
        ByteBuffer source = ByteBuffer.wrap(bytes);
        return new XsChannel() {
            @Override
            public void readFully(ByteBuffer dst) throws IOException {
                while (dst.hasRemaining()) {
                    if (!source.hasRemaining()) {
                        throw new EOFException();
                    }
                    dst.put(source.get());
                }
            }

            @Override
            public void writeFully(ByteBuffer src) {
                throw new UnsupportedOperationException();
            }

            @Override
            public void close() {
            }
        };
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    @Test
    void headerIsLittleEndianTypeReqTxLen() {
        byte[] wire = bytes(XsMessage.of(XsOperation.WRITE, 0x01020304, 7, "a\0b".getBytes(StandardCharsets.UTF_8)).encode());
        assertArrayEquals(new byte[] {11, 0, 0, 0, 4, 3, 2, 1, 7, 0, 0, 0, 3, 0, 0, 0, 'a', 0, 'b'}, wire);
    }

    @Test
    void roundTripThroughAChannel() throws IOException {
        XsMessage sent = XsMessage.of(XsOperation.WATCH_EVENT, 0, 0, XsMessage.strings("data/host/x", "tok"));
        XsMessage read = XsMessage.read(channelOver(bytes(sent.encode())));
        assertEquals(XsOperation.WATCH_EVENT, read.operation());
        assertEquals(List.of("data/host/x", "tok"), XsMessage.split(read.payload()));
        assertArrayEquals(sent.payload(), read.payload());
    }

    @Test
    void payloadAtTheLimitIsReadAndBeyondItIsAProtocolError() throws IOException {
        byte[] max = bytes(XsMessage.of(XsOperation.READ, 1, 0, new byte[XsMessage.PAYLOAD_MAX]).encode());
        assertEquals(XsMessage.PAYLOAD_MAX, XsMessage.read(channelOver(max)).payload().length);
        byte[] tooLong = bytes(new XsMessage(2, 1, 0, new byte[XsMessage.PAYLOAD_MAX + 1]).encode());
        assertThrows(IOException.class, () -> XsMessage.read(channelOver(tooLong)));
    }

    @Test
    void truncatedMessageIsEndOfStream() {
        byte[] wire = bytes(XsMessage.of(XsOperation.READ, 1, 0, XsMessage.strings("abc")).encode());
        byte[] cut = java.util.Arrays.copyOf(wire, wire.length - 1);
        assertThrows(EOFException.class, () -> XsMessage.read(channelOver(cut)));
    }

    @Test
    void splitAndStrings() {
        assertArrayEquals("a\0bc\0".getBytes(StandardCharsets.UTF_8), XsMessage.strings("a", "bc"));
        assertEquals(List.of("a", "bc"), XsMessage.split("a\0bc\0".getBytes(StandardCharsets.UTF_8)));
        assertEquals(List.of("a", "tail"), XsMessage.split("a\0tail".getBytes(StandardCharsets.UTF_8)));
        assertEquals(List.of(), XsMessage.split(new byte[0]));
        assertArrayEquals("p\0v".getBytes(StandardCharsets.UTF_8), XsMessage.pathAndValue("p", new byte[] {'v'}));
        assertEquals("ENOENT", new XsMessage(16, 1, 0, "ENOENT\0".getBytes(StandardCharsets.UTF_8)).firstString());
    }

    @Test
    void operationNumbersMatchXsWire() {
        assertEquals(1, XsOperation.DIRECTORY.code());
        assertEquals(15, XsOperation.WATCH_EVENT.code());
        assertEquals(16, XsOperation.ERROR.code());
        assertEquals(21, XsOperation.RESET_WATCHES.code());
        assertEquals(XsOperation.DIRECTORY_PART, XsOperation.fromCode(22));
        assertNull(XsOperation.fromCode(20));
        assertNull(XsOperation.fromCode(999));
    }

    @Test
    void socketPathFollowsLibxenstore() {
        assertEquals(Path.of("/x/sock"), XenStoreTransport.defaultSocketPath(Map.of("XENSTORED_PATH", "/x/sock",
                "XENSTORED_RUNDIR", "/r")));
        assertEquals(Path.of("/r/socket"), XenStoreTransport.defaultSocketPath(Map.of("XENSTORED_RUNDIR", "/r")));
        assertEquals(Path.of("/var/run/xenstored/socket"), XenStoreTransport.defaultSocketPath(Map.of()));
    }

    @Test
    void transportChoice() {
        assertEquals("socket:/x/sock", XenStoreTransport.choose("auto", "", "", Map.of("XENSTORED_PATH", "/x/sock")).describe());
        assertEquals("socket:/given", XenStoreTransport.choose("auto", "/given", "/tmp", Map.of()).describe());
        // an existing device wins in auto mode when no socket was named explicitly
        assertEquals("device:/tmp", XenStoreTransport.choose("auto", "", "/tmp", Map.of()).describe());
        assertEquals("device:/dev/xyz", XenStoreTransport.choose("device", "", "/dev/xyz", Map.of()).describe());
        assertEquals("socket:/r/socket", XenStoreTransport.choose("socket", "", "/tmp", Map.of("XENSTORED_RUNDIR", "/r")).describe());
        assertThrows(IllegalArgumentException.class, () -> XenStoreTransport.choose("carrier-pigeon", "", "", Map.of()));
    }
}
