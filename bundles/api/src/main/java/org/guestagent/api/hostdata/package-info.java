/** What the host published for this guest out of band, as a tree of paths. */
@Export
@Version("1.0.0")
package org.guestagent.api.hostdata;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
