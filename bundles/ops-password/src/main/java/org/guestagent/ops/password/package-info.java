/** The user-password guest operation: protocol adapters set passwords through {@link UserPasswords}. */
@Export
@Version("1.0.0")
package org.guestagent.ops.password;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
