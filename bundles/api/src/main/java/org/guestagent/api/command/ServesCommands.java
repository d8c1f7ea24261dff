package org.guestagent.api.command;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.osgi.service.component.annotations.ComponentPropertyType;

/**
 * Declares, as service properties of a {@link CommandSet} component, the command names it offers
 * ({@value CommandSet#COMMANDS}) and the protocols it serves ({@value CommandSet#PROTOCOLS}):
 * <pre>
 * &#64;Component(service = CommandSet.class)
 * &#64;ServesCommands(commands = { "keyinit", "password" }, protocols = "nova-json")
 * public class PasswordCommands implements CommandSet { ... }
 * </pre>
 * The core then knows the set's commands without activating it (a delayed component stays
 * unloaded until its first call), and each exchange sees only the commands of its protocol.
 * A set without these properties is activated at once and serves every protocol.
 */
@ComponentPropertyType
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.TYPE)
public @interface ServesCommands {

    /** Makes the property names {@value CommandSet#COMMANDS} and {@value CommandSet#PROTOCOLS}. */
    String PREFIX_ = "agent.";

    /** The command names, exactly those of the set's {@link Command} methods. */
    String[] commands();

    /** The protocols served, as exchanges and parsers name them (e.g. {@code nova-json}); {@value CommandSet#ANY_PROTOCOL} for any. */
    String[] protocols() default CommandSet.ANY_PROTOCOL;
}
