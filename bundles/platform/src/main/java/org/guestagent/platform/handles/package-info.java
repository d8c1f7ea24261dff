/**
 * Open file handles and the {@code *at} calls relative to them (Linux), for symbolic-link-safe
 * file access: used by the system bundle's files under a root folder.
 */
@Export
@Version("1.1.0")
package org.guestagent.platform.handles;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
