/**
 * The cryptography of the keyinit/password exchange, shared by the agent and the host-side
 * client: Diffie-Hellman over the protocol's group and the OpenSSL-compatible password cipher.
 */
@Export
@Version("1.1.0")
package org.guestagent.commands.password.crypto;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
