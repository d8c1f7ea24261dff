/** agentupdate (in-place bundle updates), kmsactivate, and the shell commands for updates. Private. */
package org.guestagent.commands.update;
