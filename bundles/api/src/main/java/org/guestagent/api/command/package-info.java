/**
 * The contract for command sets, the package vendors write against: {@link CommandSet},
 * {@link Command}, the protocol-neutral {@link CommandArgument}, {@link CommandResult} and
 * {@link CommandException}, and the {@link CommandContext} (with the pair's {@link Session}; {@link MapSession}
 * keeps one in a map).
 * Nothing here knows a transport or a protocol.
 */
@Export
@Version("1.1.0")
package org.guestagent.api.command;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
