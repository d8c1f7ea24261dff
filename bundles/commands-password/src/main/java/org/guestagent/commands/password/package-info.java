/** The keyinit and password commands; private to this bundle. */
package org.guestagent.commands.password;
