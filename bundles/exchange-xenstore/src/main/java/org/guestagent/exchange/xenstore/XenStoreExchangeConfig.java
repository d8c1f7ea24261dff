package org.guestagent.exchange.xenstore;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Configuration of the XenStore exchange: its one connection, where requests and answers live, answer housekeeping. */
@ObjectClassDefinition(name = "XenStore exchange", description = "Requests from the host over XenStore (nova-json)")
public @interface XenStoreExchangeConfig {

    String PID = "org.guestagent.exchange.xenstore";

    @AttributeDefinition(description = "auto (a named socket, else a xenbus device, else the default socket), socket or device")
    String transport() default "auto";

    @AttributeDefinition(description = "xenstored socket; empty: $XENSTORED_PATH, else $XENSTORED_RUNDIR/socket, else /var/run/xenstored/socket")
    String socket_path() default "";

    @AttributeDefinition(description = "xenbus device; empty: /dev/xen/xenbus, else /proc/xen/xenbus")
    String device_path() default "";

    @AttributeDefinition(description = "Where the host writes requests, relative to the guest's home")
    String request_path() default "data/host";

    @AttributeDefinition(description = "Where the agent writes responses, relative to the guest's home")
    String response_path() default "data/guest";

    @AttributeDefinition(description = "Seconds between full rescans of the request folder (a safety net; watches deliver requests at once)")
    int rescan_interval_seconds() default 60;

    @AttributeDefinition(description = "Seconds to wait for XenStore to answer one operation (or to come back after a lost connection)")
    int request_timeout_seconds() default 30;

    @AttributeDefinition(description = "Seconds an answer stays in the response folder before the agent removes it "
            + "(no host waits longer: nova's longest wait is 300 s)")
    int answer_lifetime_seconds() default 600;

    @AttributeDefinition(description = "The guest domain's XenStore node quota (C xenstored's default is 1000)")
    int domain_node_quota() default 1000;

    @AttributeDefinition(description = "Percent of domain.node.quota the agent's answers may use; beyond it the oldest are removed")
    int answer_quota_percent() default 50;
}
