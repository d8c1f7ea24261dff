package org.guestagent.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** Runs the distribution tools the package tests use (dpkg-deb, lintian, rpm, systemd-analyze, mmdebstrap). */
final class Commands {
    private Commands() {
    }

    /** One finished run: exit code and the output (stdout and stderr together). */
    record Result(int code, String out) {
        Result expectSuccess(List<String> command) {
            assertEquals(0, code, String.join(" ", command) + " failed:\n" + out);
            return this;
        }
    }

    static Result run(List<String> command, long timeoutSeconds) throws IOException, InterruptedException {
        return run(command, Map.of(), timeoutSeconds);
    }

    static Result run(List<String> command, Map<String, String> environment, long timeoutSeconds)
            throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().putAll(environment);
        Path output = Files.createTempFile("package-test", ".out");
        try {
            builder.redirectOutput(output.toFile());
            Process process = builder.start();
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                fail(String.join(" ", command) + " did not end within " + timeoutSeconds + " s:\n" + Files.readString(output, StandardCharsets.UTF_8));
            }
            return new Result(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(output);
        }
    }

    static Result ok(long timeoutSeconds, String... command) throws IOException, InterruptedException {
        return run(List.of(command), timeoutSeconds).expectSuccess(List.of(command));
    }

    static boolean onPath(String program) {
        return Stream.of(System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":"))
                .anyMatch(dir -> Files.isExecutable(Path.of(dir, program)));
    }

    static boolean isRoot() {
        try {
            return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    static Path deb() {
        return Path.of(System.getProperty("guestagent.deb"));
    }

    static Path projectRoot() {
        return Path.of(System.getProperty("guestagent.dist")).resolve("../../..").normalize();
    }
}
