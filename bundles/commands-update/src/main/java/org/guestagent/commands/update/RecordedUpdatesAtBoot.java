package org.guestagent.commands.update;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import org.guestagent.api.system.GuestFiles;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.service.component.ComponentServiceObjects;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * Puts recorded updates back at boot: the launcher starts from its features with a clean bundle
 * cache. It must run at boot, but it activates the update manager (and so loads this bundle's
 * classes) only when there is a record of installed updates: an agent that was never updated
 * keeps agentupdate unloaded until its first call.
 */
@Component(service = {}, configurationPid = UpdateConfig.PID)
public class RecordedUpdatesAtBoot {
    private static final System.Logger LOG = System.getLogger(RecordedUpdatesAtBoot.class.getName());

    private final ComponentServiceObjects<UpdateManager> managers;
    private UpdateManager manager;

    @Activate
    public RecordedUpdatesAtBoot(BundleContext context, UpdateConfig config, @Reference GuestFiles files,
            @Reference ComponentServiceObjects<UpdateManager> managers) {
        this.managers = managers;
        // Once per framework run: a re-activation (new configuration, restart of this bundle) must
        // not put them back again and again.
        String once = "guestagent.updates.reapplied." + context.getProperty(Constants.FRAMEWORK_UUID);
        if (System.getProperty(once) != null || !hasRecord(files, config.state_dir())) {
            return;
        }
        System.setProperty(once, "true");
        manager = managers.getService();
        manager.reapplyRecorded();
    }

    private static boolean hasRecord(GuestFiles files, String stateDir) {
        try {
            byte[] installed = files.readIfExists(stateDir.replaceAll("/+$", "") + "/" + UpdateHistory.INSTALLED);
            return installed != null && !new String(installed, StandardCharsets.UTF_8).isBlank();
        } catch (IOException e) {
            // the manager reports an unreadable record in its own words
            LOG.log(System.Logger.Level.DEBUG, "reading the record of installed updates: {0}", e.getMessage());
            return true;
        }
    }

    @Deactivate
    void deactivate() {
        if (manager != null) {
            managers.ungetService(manager);
        }
    }
}
