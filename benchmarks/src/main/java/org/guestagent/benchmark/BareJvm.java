package org.guestagent.benchmark;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The floor the agent is compared with: a JVM that does nothing, started with the agent's JVM
 * options. {@code print} prints one line and exits (start-up time); {@code sleep} sleeps until
 * it is killed (memory and idle wake-ups).
 */
public final class BareJvm {
    private BareJvm() {
    }

    public static void main(String[] args) throws InterruptedException {
        if (args.length == 1 && args[0].equals("sleep")) {
            Thread.sleep(Long.MAX_VALUE);
        }
        System.out.println("bare JVM");
    }

    /**
     * Starts this class in a JVM that the distribution's start script describes
     * ({@code bin/guest-agent --jvm-options}: the command the agent runs with, up to its class path,
     * one word a line), so the floor and the agent share the JVM, its options and its environment.
     */
    record Runner(List<String> javaCommand, String classPath) {
        static Runner of(Path distribution) throws IOException, InterruptedException, URISyntaxException {
            Process script = new ProcessBuilder(distribution.resolve("bin/guest-agent").toString(), "--jvm-options")
                    .redirectErrorStream(true).start();
            String out = new String(script.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (script.waitFor() != 0 || out.isBlank() || out.startsWith("Usage") || out.contains("guest-agent:")) {
                throw new IllegalStateException("bin/guest-agent --jvm-options did not give the JVM's command: " + out);
            }
            String jar = Path.of(BareJvm.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
            return new Runner(out.lines().map(String::trim).filter(l -> !l.isEmpty()).toList(), jar);
        }

        /** The JVM options alone, for the record (the words after the java command). */
        List<String> options() {
            return javaCommand.stream().filter(w -> w.startsWith("-")).toList();
        }

        private ProcessBuilder builder(String mode) {
            List<String> command = new ArrayList<>(javaCommand);
            command.addAll(List.of("-cp", classPath, BareJvm.class.getName(), mode));
            return new ProcessBuilder(command).redirectErrorStream(true);
        }

        /** Wall time from spawning a JVM that prints one line until it has exited. */
        double printMillis() throws IOException, InterruptedException {
            ProcessBuilder builder = builder("print").redirectOutput(ProcessBuilder.Redirect.DISCARD);
            long started = System.nanoTime();
            Process jvm = builder.start();
            if (!jvm.waitFor(60, TimeUnit.SECONDS) || jvm.exitValue() != 0) {
                jvm.destroyForcibly();
                throw new IllegalStateException("the bare JVM did not print and exit cleanly: " + builder.command());
            }
            return (System.nanoTime() - started) / 1e6;
        }

        /** A JVM that sleeps until destroyed. */
        Process startSleeping() throws IOException {
            return builder("sleep").redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        }
    }
}
