/**
 * A XenStore client speaking the xs_wire protocol itself: the message codec, transports
 * (xenbus character devices and the xenstored unix socket) and {@link org.guestagent.xenstore.XenStoreClient}.
 * Depends on nothing but the JDK, so the host-side client can use it as a plain jar.
 */
@Export
@Version("2.0.0")
package org.guestagent.xenstore;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
