package org.guestagent.xenstore;

/** The xs_wire message types and their numbers (xen/include/public/io/xs_wire.h). */
public enum XsOperation {
    DIRECTORY(1), READ(2), GET_PERMS(3), WATCH(4), UNWATCH(5), TRANSACTION_START(6), TRANSACTION_END(7),
    INTRODUCE(8), RELEASE(9), GET_DOMAIN_PATH(10), WRITE(11), MKDIR(12), RM(13), SET_PERMS(14),
    WATCH_EVENT(15), ERROR(16), IS_DOMAIN_INTRODUCED(17), RESUME(18), SET_TARGET(19),
    RESET_WATCHES(21), DIRECTORY_PART(22);

    private static final XsOperation[] BY_CODE = new XsOperation[32];

    static {
        for (XsOperation op : values()) {
            BY_CODE[op.code] = op;
        }
    }

    private final int code;

    XsOperation(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The operation with this number, or null when the number is unknown. */
    public static XsOperation fromCode(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }
}
