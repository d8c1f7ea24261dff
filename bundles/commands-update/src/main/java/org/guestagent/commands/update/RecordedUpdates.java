package org.guestagent.commands.update;

import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.condition.Condition;

/**
 * Puts the recorded updates back when the launcher had to make the framework's bundle cache anew
 * (the first start, or a cache it found unusable and rebuilt from the features). A kept cache holds
 * every installed update already, so on an ordinary start the launcher registers no such condition,
 * this component stays unsatisfied and nothing of agentupdate is loaded.
 */
@Component(immediate = true)
public class RecordedUpdates {
    /** The condition the launcher registers when the cache is new (Agent.FRESH_CACHE_CONDITION). */
    static final String FRESH_CACHE_CONDITION = "org.guestagent.launcher.fresh-bundle-cache";

    @Activate
    public RecordedUpdates(BundleContext context,
            @Reference(target = "(" + Condition.CONDITION_ID + "=" + FRESH_CACHE_CONDITION + ")") Condition freshCache,
            @Reference UpdateManager manager) {
        // Once per framework run: a re-activation (this bundle replaced by an update) must not try again.
        String once = "guestagent.updates.reapplied." + context.getProperty(Constants.FRAMEWORK_UUID);
        if (System.getProperty(once) == null) {
            System.setProperty(once, "true");
            manager.reapplyRecorded();
        }
    }
}
