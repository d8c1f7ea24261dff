/** Native calls the agent needs from libc and libcrypt. */
@Export
@Version("1.1.0")
package org.guestagent.api.platform;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
