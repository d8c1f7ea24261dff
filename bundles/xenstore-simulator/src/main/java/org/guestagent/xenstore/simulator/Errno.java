package org.guestagent.xenstore.simulator;

/** An operation failed; the reply is an ERROR carrying this errno name. */
final class Errno extends Exception {
    private static final long serialVersionUID = 1L;

    Errno(String name) {
        super(name, null, false, false);
    }

    String errnoName() {
        return getMessage();
    }
}
