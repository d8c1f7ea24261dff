package org.guestagent.api;

/** No command set offers the command name right now. */
@Deprecated
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
