package org.guestagent.itests.support;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** The built distribution (launcher/target/guest-agent), copied for one test, and its programs run. */
public final class Distribution {
    private Distribution() {
    }

    /** Copies the distribution to {@code dir/guest-agent}, modes kept, and returns that folder. */
    public static Path copyInto(Path dir) throws IOException {
        Path built = AgentBundles.projectRoot().resolve("launcher/target/guest-agent");
        if (!Files.isExecutable(built.resolve("bin/guest-agent"))) {
            throw new IllegalStateException("build the launcher first: " + built + " is missing");
        }
        Path home = dir.resolve("guest-agent");
        try (Stream<Path> files = Files.walk(built)) {
            for (Path source : (Iterable<Path>) files::iterator) {
                Path target = home.resolve(built.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
        return home;
    }

    /** What a program printed, and how it exited. */
    public record Result(int code, String out, String err) {
        @Override
        public String toString() {
            return "exit " + code + "\nstdout:\n" + out + "\nstderr:\n" + err;
        }
    }

    /**
     * Runs a program of the distribution ({@code command[0]} relative to {@code home}) in
     * {@code workDir}, with the given text (or nothing) on stdin, and fails the test if it does not
     * finish within the limit.
     */
    public static Result run(Path home, Path workDir, Duration limit, String stdin, String... command) throws Exception {
        List<String> line = new ArrayList<>(List.of(command));
        line.set(0, home.resolve(command[0]).toString());
        Path out = Files.createTempFile(workDir, "out", ".txt");
        Path err = Files.createTempFile(workDir, "err", ".txt");
        ProcessBuilder builder = new ProcessBuilder(line).directory(workDir.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile());
        if (stdin == null) {
            builder.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        }
        Process p = builder.start();
        if (stdin != null) {
            try (var in = p.getOutputStream()) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        }
        if (!p.waitFor(limit.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(String.join(" ", command) + " did not finish within " + limit.toSeconds() + " s");
        }
        return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    }
}
