package org.guestagent.api.command;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a public method of a {@link CommandSet} as the command of the given name.
 * <p>
 * The method may take, in any order, a {@link CommandArgument} and a {@link CommandContext},
 * or nothing. It returns a {@code String} (the message of an {@link CommandResult.Status#OK} answer)
 * or a {@link CommandResult}. Throw {@link CommandException} for an answer the host should read;
 * anything else thrown becomes a {@link CommandResult.Status#FAILED} answer carrying the exception's
 * message.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface Command {

    /** The command name as the host sends it, e.g. {@code "version"}. */
    String value();

    /** True when the argument is secret: the request log then shows it redacted. */
    boolean secret() default false;

    /**
     * True for a routine command that reads and changes nothing (a ping, a version, a clock): its
     * requests are logged at debug level rather than info, so that a host polling it neither fills
     * the log nor slows the answers. A command that changes the guest must not be quiet.
     */
    boolean quiet() default false;
}
