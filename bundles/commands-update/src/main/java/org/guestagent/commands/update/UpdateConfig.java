package org.guestagent.commands.update;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Configuration of agentupdate (PID org.guestagent.commands.update). */
@ObjectClassDefinition(name = "Agent updates", description = "How agentupdate downloads and installs updates")
public @interface UpdateConfig {

    String PID = "org.guestagent.commands.update";

    @AttributeDefinition(description = "Connect timeout of a download, milliseconds")
    int connect_timeout_ms() default 10_000;

    @AttributeDefinition(description = "Read timeout of a download (longest silence), milliseconds")
    int read_timeout_ms() default 60_000;

    @AttributeDefinition(description = "Largest download accepted, bytes")
    long max_size() default 100L * 1024 * 1024;

    @AttributeDefinition(description = "Guest folder keeping installed update jars and the history")
    String state_dir() default "/var/lib/guest-agent/updates";

    @AttributeDefinition(description = "How many updates the history keeps (and can roll back one by one)")
    int keep_history() default 5;

    @AttributeDefinition(description = "Folder for private download folders; empty: the system's temporary folder")
    String temp_dir() default "";

    @AttributeDefinition(description = "Delay between the answer and an update that could stop the agent, milliseconds")
    int apply_delay_ms() default 1_000;

    @AttributeDefinition(description = "Bundles whose update must wait until the answer is written (* at the end matches a prefix); this bundle is always among them")
    String[] deferred_bundles() default { "org.guestagent.api", "org.guestagent.core", "org.guestagent.parser-*",
            "org.guestagent.exchange-*", "org.guestagent.system", "org.guestagent.commands-update" };

    @AttributeDefinition(description = "Longest run of an installer.sh from a tarball, seconds")
    int installer_timeout_seconds() default 600;

    @AttributeDefinition(description = "Longest wait for the framework to refresh or start bundles, seconds")
    int framework_timeout_seconds() default 60;

    @AttributeDefinition(description = "Accept plain http URLs (https only otherwise)")
    boolean allow_http() default false;

    @AttributeDefinition(description = "Install a bundle whose version is lower than the installed one")
    boolean allow_downgrade() default false;
}
