package org.guestagent.api;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A group of commands: publish an implementation as a DS component with
 * {@code service = CommandSet.class} and mark its methods with {@link Command}.
 * Give the service a {@code service.ranking} to override a command of the same name
 * from another set.
 */
@Deprecated
@ConsumerType
public interface CommandSet {
}
