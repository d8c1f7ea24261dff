package org.guestagent.commands.update;

import java.io.IOException;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** Gogo shell commands {@code agent:updates} and {@code agent:rollback}. */
@Component(service = UpdateShellCommands.class, property = {
        "osgi.command.scope=agent",
        "osgi.command.function=updates",
        "osgi.command.function=rollback" })
public class UpdateShellCommands {

    private final UpdateManager manager;

    @Activate
    public UpdateShellCommands(@Reference UpdateManager manager) {
        this.manager = manager;
    }

    /** Lists the bundles that updates installed and the update history. */
    public String updates() throws IOException {
        return manager.describe();
    }

    /** Puts back the bundles the newest update replaced. */
    public String rollback() throws IOException {
        return manager.rollbackLast();
    }
}
