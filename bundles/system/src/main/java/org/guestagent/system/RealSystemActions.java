package org.guestagent.system;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.guestagent.api.platform.NativePlatform;
import org.guestagent.api.system.SystemActions;

/** Acts on the running system: runs programs, sets the hostname. */
public class RealSystemActions implements SystemActions {

    private static final System.Logger LOG = System.getLogger(RealSystemActions.class.getName());
    private static final Duration HOSTNAME_TIMEOUT = Duration.ofSeconds(10);

    /** Blocking reads get a thread of their own, never one of the common pool. */
    private static final Executor OWN_THREAD = task -> {
        Thread thread = new Thread(task, "program-output");
        thread.setDaemon(true);
        thread.start();
    };

    private final Supplier<NativePlatform> platform;

    /** @param platform gives the native platform, or null when it is not there */
    public RealSystemActions(Supplier<NativePlatform> platform) {
        this.platform = platform;
    }

    @Override
    public void setHostname(String hostname) throws IOException {
        NativePlatform nativePlatform = platform.get();
        if (nativePlatform != null) {
            try {
                nativePlatform.setHostname(hostname);
                return;
            } catch (UnsupportedOperationException e) {
                LOG.log(System.Logger.Level.DEBUG, "sethostname(2) not available, using the hostname program");
            }
        }
        ExecResult result = run(List.of("hostname", hostname), null, HOSTNAME_TIMEOUT);
        if (!result.ok()) {
            throw new IOException("Could not set the hostname: " + result.stderr().strip());
        }
    }

    @Override
    public ExecResult run(List<String> command, byte[] input, Duration timeout) throws IOException {
        Process process = new ProcessBuilder(command).start();
        // read both outputs while we write the input and wait, so a full pipe never blocks the program
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> drain(process.getInputStream()), OWN_THREAD);
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> drain(process.getErrorStream()), OWN_THREAD);
        try (OutputStream stdin = process.getOutputStream()) {
            if (input != null) {
                stdin.write(input);
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, command.get(0) + " did not take all its input: " + e.getMessage());
        }
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                throw new IOException(command.get(0) + " did not finish within " + timeout.toSeconds() + " s and was stopped");
            }
            return new ExecResult(process.exitValue(), out.get(), err.get());
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException(command.get(0) + " was interrupted", e);
        } catch (ExecutionException e) {
            throw new IOException("Could not read the output of " + command.get(0), e);
        }
    }

    @Override
    public boolean isRecording() {
        return false;
    }

    @Override
    public List<String> recorded() {
        return List.of();
    }

    private static String drain(InputStream stream) {
        try (stream) {
            return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }
}
