package org.guestagent.api;

import java.util.Arrays;
import java.util.Objects;

/**
 * One request as the exchange received it: an id chosen by the host (the XenStore node name)
 * and the undecoded body. The body may be empty or hold bytes that are not text.
 */
@Deprecated
public final class RawRequest {
    private final String id;
    private final byte[] body;

    public RawRequest(String id, byte[] body) {
        this.id = Objects.requireNonNull(id, "id");
        this.body = body == null ? new byte[0] : body.clone();
    }

    public String id() {
        return id;
    }

    public byte[] body() {
        return body.clone();
    }

    @Override
    public String toString() {
        return "RawRequest[" + id + ", " + body.length + " bytes]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RawRequest r && r.id.equals(id) && Arrays.equals(r.body, body);
    }

    @Override
    public int hashCode() {
        return id.hashCode() * 31 + Arrays.hashCode(body);
    }
}
