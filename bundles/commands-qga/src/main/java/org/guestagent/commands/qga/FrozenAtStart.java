package org.guestagent.commands.qga;

import java.io.IOException;
import java.lang.System.Logger.Level;

import org.guestagent.api.command.CommandSet;
import org.guestagent.api.system.GuestFiles;
import org.osgi.service.component.ComponentServiceObjects;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * At start, the frozen state a previous agent left (its frozen file still there: it was killed
 * while the file systems were frozen) is taken up at once, as qemu-ga does at its start: the
 * fsfreeze commands are activated, which disables the commands not safe while frozen until a thaw.
 * Otherwise nothing happens and the fsfreeze commands stay unloaded until a host calls one.
 */
@Component(immediate = true, configurationPid = QgaFsFreezeCommands.PID)
public class FrozenAtStart {
    private static final System.Logger LOG = System.getLogger(FrozenAtStart.class.getName());

    private final ComponentServiceObjects<CommandSet> freezer;
    private CommandSet held;

    @Activate
    public FrozenAtStart(QgaFsFreezeCommands.Config config, @Reference(name = "files") GuestFiles files,
            @Reference(name = "freezer", target = "(component.name=org.guestagent.commands.qga.QgaFsFreezeCommands)")
            ComponentServiceObjects<CommandSet> freezer) {
        this.freezer = freezer;
        String file = config.frozen_file() == null ? "" : config.frozen_file().strip();
        if (!file.isEmpty() && exists(files, file)) {
            held = freezer.getService(); // its activation reads the file and disables the commands
        }
    }

    private static boolean exists(GuestFiles files, String file) {
        try {
            return files.readIfExists(file) != null;
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "Unable to read " + file + ": " + e.getMessage());
            return false;
        }
    }

    /** Lets the fsfreeze commands go (they thaw if still frozen when nobody else uses them). */
    @Deactivate
    void deactivate() {
        if (held != null) {
            freezer.ungetService(held);
            held = null;
        }
    }
}
