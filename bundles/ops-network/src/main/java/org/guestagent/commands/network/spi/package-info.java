/**
 * What a network configuration backend sees and produces: the validated model of the host's
 * networking data, the guest's OS identity, and a plan of files and commands. A vendor adds a
 * backend for another system by publishing a {@link org.guestagent.commands.network.spi.NetworkBackend}
 * service (with a {@code service.ranking} to win over a built-in one).
 */
@Export
@Version("1.0.0")
package org.guestagent.commands.network.spi;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
