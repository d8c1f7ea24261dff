/**
 * Read-only views of the core's registries, for the shell, tools and tests: the commands on
 * offer and the requests running ({@link CommandRegistry}), the running pairs ({@link PairingRegistry}).
 */
@Export
@Version("1.0.0")
package org.guestagent.api.runtime;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
