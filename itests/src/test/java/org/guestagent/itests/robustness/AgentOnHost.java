package org.guestagent.itests.robustness;

import java.io.IOException;
import java.nio.file.Path;

import org.guestagent.itests.support.AgentBundles;

/** A simulated host and a private copy of the distribution pointed at it, in one scratch folder, closed together. */
public record AgentOnHost(HostSide host, AgentRun agent) implements AutoCloseable {

    /** Starts the host side and copies the distribution; the agent is not started yet. */
    public static AgentOnHost prepare(String scratchPrefix) throws IOException {
        Path scratch = AgentBundles.scratch(scratchPrefix);
        HostSide host = HostSide.start(scratch, false);
        try {
            return new AgentOnHost(host, AgentRun.copyInto(scratch));
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
