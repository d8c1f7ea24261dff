/**
 * The one seam through which the agent changes the guest: files under a root folder
 * and system actions. Tests and demos use a scratch root and a recording implementation.
 */
@Export
@Version("1.2.0")
package org.guestagent.api.system;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
