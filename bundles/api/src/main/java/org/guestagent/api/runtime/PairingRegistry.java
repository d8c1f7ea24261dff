package org.guestagent.api.runtime;

import java.time.Instant;
import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/** The running exchange/parser pairs; a service of the core, for the shell and tests. */
@ProviderType
public interface PairingRegistry {

    /** One running pair and its counters. */
    record PairInfo(String protocol, String exchange, String parser, long served, long errors, Instant lastRequest) {
    }

    List<PairInfo> pairs();
}
