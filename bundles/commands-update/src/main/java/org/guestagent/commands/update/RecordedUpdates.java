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
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.condition.Condition;

/**
 * Puts the recorded updates back when the launcher had to make the framework's bundle cache anew
 * (the first start, or a cache it found unusable and rebuilt from the features). A kept cache holds
 * every installed update already, so on an ordinary start the launcher registers no such condition
 * and this component does nothing. Even on a new cache the update manager (and with it the classes
 * of agentupdate) is activated only when there is a record of installed updates.
 */
@Component(immediate = true, configurationPid = UpdateConfig.PID)
public class RecordedUpdates {
    private static final System.Logger LOG = System.getLogger(RecordedUpdates.class.getName());
    /** The condition the launcher registers when the cache is new (Agent.FRESH_CACHE_CONDITION). */
    static final String FRESH_CACHE_CONDITION = "org.guestagent.launcher.fresh-bundle-cache";

    private final ComponentServiceObjects<UpdateManager> managers;
    private UpdateManager manager;

    @Activate
    public RecordedUpdates(BundleContext context, UpdateConfig config, @Reference GuestFiles files,
            // optional (static, greedy: the component is activated again when it comes): a mandatory
            // reference would be a service requirement that containers other than the launcher
            // (Apache Karaf) cannot satisfy, and the bundle would not resolve there
            @Reference(target = "(" + Condition.CONDITION_ID + "=" + FRESH_CACHE_CONDITION + ")",
                    cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY) Condition freshCache,
            @Reference ComponentServiceObjects<UpdateManager> managers) {
        this.managers = managers;
        if (freshCache == null) {
            return; // a kept bundle cache: the updates are installed already
        }
        // Once per framework run: a re-activation (this bundle replaced by an update) must not try again.
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
