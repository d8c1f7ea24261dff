package org.guestagent.api.command;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A group of commands: publish an implementation as a DS component with
 * {@code service = CommandSet.class} and mark its methods with {@link Command}. Declare its
 * command names and protocols with {@link ServesCommands}, so the core knows them without
 * activating it. Give the service a {@code service.ranking} to override a command of the same
 * name from another set.
 */
@ConsumerType
public interface CommandSet {

    /** Service property: the command names the set offers (String or String[]). */
    String COMMANDS = "agent.commands";

    /** Service property: the protocols the set serves (String or String[]); absent means any. */
    String PROTOCOLS = "agent.protocols";

    /** The value of {@link #PROTOCOLS} for a set that serves every protocol. */
    String ANY_PROTOCOL = "*";
}
