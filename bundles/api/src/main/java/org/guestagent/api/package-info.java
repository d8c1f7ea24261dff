/**
 * Contracts between the agent's core and its plug-ins: exchanges move raw requests,
 * parsers decode a protocol, command sets carry the commands.
 */
@Export
@Version("1.2.0")
package org.guestagent.api;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
