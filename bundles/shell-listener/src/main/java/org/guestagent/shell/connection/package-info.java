/**
 * How the always-open shell listener hands a connection to the shell that is started on demand:
 * the shell bundle publishes a {@link org.guestagent.shell.connection.ShellConnectionHandler}.
 */
@Export
@Version("1.0.0")
package org.guestagent.shell.connection;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
