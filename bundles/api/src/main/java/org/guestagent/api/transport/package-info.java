/**
 * The contract for transports: an {@link Exchange} moves {@link RawRequest}s between host and
 * guest, a {@link Parser} decodes one protocol and runs commands through the
 * {@link CommandInvoker} the core hands it. The core pairs them by {@link Exchange#PROTOCOL}.
 */
@Export
@Version("1.0.0")
package org.guestagent.api.transport;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
