/** The guest-files operation: protocol adapters write host-pushed files through {@link FileInjection}. */
@Export
@Version("1.0.0")
package org.guestagent.ops.files;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
