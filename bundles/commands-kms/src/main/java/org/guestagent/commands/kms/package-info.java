/** kmsactivate: the activation key to RHSM over D-Bus (dbus-java embedded), the command line as a fallback. Private. */
package org.guestagent.commands.kms;
