package org.guestagent.itests.robustness;

import java.io.IOException;
import java.nio.file.Path;

import org.guestagent.itests.support.AgentBundles;
import org.guestagent.xenstore.simulator.XenStoreSimulator;

/** A simulated host and a private copy of the distribution pointed at it, in one scratch folder (given too), closed together. */
public record AgentOnHost(Path scratch, HostSide host, AgentRun agent) implements AutoCloseable {

    /** Starts the host side and copies the distribution; the agent is not started yet. */
    public static AgentOnHost prepare(String scratchPrefix) throws IOException {
        return prepare(scratchPrefix, XenStoreSimulator.DEFAULT_NODE_QUOTA);
    }

    /**
     * The same for a host whose xenstored gives the guest another node quota (for hosts that queue
     * thousands of requests at once); the agent's configuration is told the same quota.
     */
    public static AgentOnHost prepare(String scratchPrefix, int nodeQuota) throws IOException {
        Path scratch = AgentBundles.scratch(scratchPrefix);
        HostSide host = HostSide.start(scratch, false, nodeQuota);
        try {
            AgentRun agent = AgentRun.copyInto(scratch);
            agent.configure(AgentRun.EXCHANGE_PID, "domain.node.quota", Integer.toString(nodeQuota));
            return new AgentOnHost(scratch, host, agent);
        } catch (IOException | RuntimeException e) {
            host.close();
            throw e;
        }
    }

    /** Starts the agent, pointed at the host's XenStore. */
    public Process startAgent() throws IOException {
        return agent.start(host.guestSocket());
    }

    @Override
    public void close() throws Exception {
        try {
            agent.close();
        } finally {
            host.close();
        }
    }
}
