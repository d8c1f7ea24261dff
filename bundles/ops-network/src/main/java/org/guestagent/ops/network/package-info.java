/**
 * The network-configuration operation: protocol adapters hand the host's networking data, read
 * into the validated {@link org.guestagent.commands.network.spi.NetworkConfig} model, to
 * {@link NetworkConfigurator}; {@link IpText} checks and normalises address text for that model.
 */
@Export
@Version("1.0.0")
package org.guestagent.ops.network;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
