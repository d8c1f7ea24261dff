/**
 * The guest-facts operation: what protocol adapters report about the guest (os-release, kernel,
 * host name, network interfaces) and what other operations match against (NICs by MAC), through
 * {@link GuestFacts}. Read-only. The text forms they use, for adapters to match: {@link Macs},
 * {@link Ipv6Text} (1.1.0).
 */
@Export
@Version("1.1.0")
package org.guestagent.ops.facts;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
