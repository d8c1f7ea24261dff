package org.guestagent.api.transport;

/** No command set offers the command name right now. */
public class NoSuchCommandException extends Exception {
    private static final long serialVersionUID = 1L;
    private final String name;

    public NoSuchCommandException(String name) {
        super("No such command " + name);
        this.name = name;
    }

    public String name() {
        return name;
    }
}
