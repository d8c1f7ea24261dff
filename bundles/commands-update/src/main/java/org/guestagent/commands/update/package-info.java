/** agentupdate (in-place bundle updates) and the shell commands for updates. Private. */
package org.guestagent.commands.update;
