package org.guestagent.commands.network.spi;

import java.io.IOException;

import org.guestagent.api.system.GuestFiles;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * Turns the network model into one configuration system's files and restart commands. Publish
 * an implementation as a DS service; the command picks, among the backends whose {@link #match}
 * is above 0, the one with the highest {@code service.ranking}, then the highest match. The
 * configuration property {@code backend} of PID {@code org.guestagent.commands.network} forces
 * one by {@link #name()}.
 */
@ConsumerType
public interface NetworkBackend {

    /** Built-in match values: a generic fallback, a distribution family, a family and version. */
    int FALLBACK = 1;
    int FAMILY = 10;
    int FAMILY_VERSION = 20;

    /** A short stable name, e.g. {@code debian}, {@code netplan}, {@code redhat}. */
    String name();

    /**
     * How well this backend fits the guest: 0 when it does not apply, otherwise higher is more
     * specific (see the constants).
     *
     * @param files the guest's files, to look for a configuration system's traces
     */
    int match(OsRelease os, GuestFiles files);

    /**
     * Adds this system's files, deletions of its stale files and restart commands to the plan.
     * Reads existing files through {@code files} only; changes nothing itself.
     */
    void plan(NetworkConfig config, OsRelease os, GuestFiles files, NetworkPlan plan) throws IOException;
}
