package org.guestagent.system;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.guestagent.api.platform.NativePlatform;
import org.guestagent.api.system.SystemActions;

/** Acts on the running system: runs programs, sets the hostname, freezes and thaws file systems. */
public class RealSystemActions implements SystemActions {

    private static final System.Logger LOG = System.getLogger(RealSystemActions.class.getName());
    private static final Duration HOSTNAME_TIMEOUT = Duration.ofSeconds(10);
    /** How long a program's output may stay open after the program has ended. */
    static final Duration OUTPUT_GRACE = Duration.ofSeconds(3);
    /** How long the output may take to end once the processes holding it were killed. */
    private static final Duration KILL_WAIT = Duration.ofSeconds(1);
    private static final String SETSID = findSetsid();

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

    /**
     * Runs the program in a process group of its own (through {@code setsid} where there is one), so
     * that what it leaves behind can be found and stopped. When it overruns its timeout, its whole
     * group is killed, also children that were reparented away from it. Its output is read with a
     * limit too: once the program has ended, a child left in its group that still holds the output
     * open (a daemon that did not detach) gets {@link #OUTPUT_GRACE} to close it and is then killed;
     * a child that left the group (a proper daemon) is not touched, only no longer read from. (The
     * JDK itself closes a finished program's pipes when no read is in progress at that moment; such a
     * child is then simply no longer read from either.)
     */
    @Override
    public ExecResult run(List<String> command, byte[] input, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Process process = new ProcessBuilder(inOwnGroup(command)).start();
        // read both outputs while we write the input and wait, so a full pipe never blocks the program
        Output out = Output.drain(process.getInputStream());
        Output err = Output.drain(process.getErrorStream());
        try (OutputStream stdin = process.getOutputStream()) {
            if (input != null) {
                stdin.write(input);
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, command.get(0) + " did not take all its input: " + e.getMessage());
        }
        try {
            if (!process.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                int killed = killGroup(process);
                throw new IOException(command.get(0) + " did not finish within " + timeout.toSeconds()
                        + " s and was stopped (" + killed + " processes of its group)");
            }
            long outputDeadline = Math.min(deadline, System.nanoTime() + OUTPUT_GRACE.toNanos());
            if (!(out.awaitEnd(outputDeadline) & err.awaitEnd(outputDeadline))) {
                int killed = killGroup(process);
                long afterKill = System.nanoTime() + KILL_WAIT.toNanos();
                boolean ended = out.awaitEnd(afterKill) & err.awaitEnd(afterKill);
                LOG.log(System.Logger.Level.WARNING, command.get(0) + " exited with " + process.exitValue()
                        + " but left its output open (a child holds it); " + killed + " processes of its group killed"
                        + (ended ? "" : ", the output of one outside its group is no longer read"));
            }
            return new ExecResult(process.exitValue(), out.text(), err.text());
        } catch (InterruptedException e) {
            killGroup(process);
            Thread.currentThread().interrupt();
            throw new IOException(command.get(0) + " was interrupted", e);
        }
    }

    /** No setsid here: as qemu-ga's guest-exec, the program is a plain child of the agent. */
    @Override
    public Process start(List<String> command, Map<String, String> environment, boolean pipeInput, boolean captureOutput)
            throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command);
        if (environment != null) {
            builder.environment().clear();
            builder.environment().putAll(environment);
        }
        File nothing = new File("/dev/null");
        if (!pipeInput) {
            builder.redirectInput(nothing);
        }
        if (!captureOutput) {
            builder.redirectOutput(nothing).redirectError(nothing);
        }
        return builder.start();
    }

    private static final int EOPNOTSUPP = 95;
    private static final int EBUSY = 16;

    @Override
    public boolean freezeFilesystem(String mountPoint) throws IOException {
        NativePlatform nativePlatform = nativePlatform(mountPoint);
        int errno;
        try {
            errno = nativePlatform.freezeOrThaw(mountPoint, true);
        } catch (IOException e) {
            throw new IOException("failed to open " + mountPoint + ": " + e.getMessage(), e);
        }
        if (errno == 0) {
            return true;
        }
        if (errno == EOPNOTSUPP || errno == EBUSY) {
            return false;
        }
        throw new IOException("failed to freeze " + mountPoint + ": " + nativePlatform.errorText(errno));
    }

    @Override
    public boolean thawFilesystem(String mountPoint) {
        try {
            return nativePlatform(mountPoint).freezeOrThaw(mountPoint, false) == 0;
        } catch (IOException e) {
            return false;
        }
    }

    private NativePlatform nativePlatform(String mountPoint) throws IOException {
        NativePlatform nativePlatform = platform.get();
        if (nativePlatform == null) {
            throw new IOException("failed to open " + mountPoint + ": the native platform bundle is missing");
        }
        return nativePlatform;
    }

    /** The command, started through setsid when the system has it: its own session and process group. */
    private static List<String> inOwnGroup(List<String> command) {
        if (SETSID == null || !isProgram(command.get(0))) {
            return command; // a missing program fails in start() as before, not as an exit code of setsid
        }
        List<String> wrapped = new ArrayList<>(command.size() + 1);
        wrapped.add(SETSID);
        wrapped.addAll(command);
        return wrapped;
    }

    private static boolean isProgram(String name) {
        if (name.contains("/")) {
            return Files.isExecutable(Path.of(name));
        }
        String path = System.getenv("PATH");
        for (String dir : (path == null ? "/usr/bin:/bin" : path).split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, name))) {
                return true;
            }
        }
        return false;
    }

    private static String findSetsid() {
        for (String dir : List.of("/usr/bin", "/bin", "/usr/sbin", "/sbin")) {
            Path setsid = Path.of(dir, "setsid");
            if (Files.isExecutable(setsid)) {
                return setsid.toString();
            }
        }
        return null;
    }

    /**
     * Kills the program, its descendants, and every process of its process group (children that
     * were reparented when their parent exited are no longer descendants, but stay in the group).
     *
     * @return how many processes were sent the kill
     */
    private static int killGroup(Process process) {
        int killed = 0;
        long group = process.pid(); // setsid made the program the leader of its own group
        for (ProcessHandle child : process.descendants().toList()) {
            killed += child.destroyForcibly() ? 1 : 0;
        }
        if (process.isAlive()) {
            process.destroyForcibly();
            killed++;
        }
        if (SETSID == null || group == groupOf(ProcessHandle.current().pid())) {
            return killed; // the program shares the agent's own group: never kill by group then
        }
        for (ProcessHandle other : ProcessHandle.allProcesses().toList()) {
            if (other.isAlive() && groupOf(other.pid()) == group) {
                killed += other.destroyForcibly() ? 1 : 0;
            }
        }
        return killed;
    }

    /** The process group of a process, from /proc/&lt;pid&gt;/stat (-1 when it cannot be read). */
    static long groupOf(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so count after the last ')'
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(fields[2]);
        } catch (IOException | RuntimeException e) {
            return -1;
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

    /** One output of a program, read to its end in a thread of its own; what was read so far can be taken at any time. */
    private static final class Output {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final CountDownLatch end = new CountDownLatch(1);

        static Output drain(InputStream stream) {
            Output output = new Output();
            OWN_THREAD.execute(() -> output.read(stream));
            return output;
        }

        private void read(InputStream stream) {
            byte[] buffer = new byte[8192];
            try (stream) {
                for (int n; (n = stream.read(buffer)) >= 0;) {
                    synchronized (bytes) {
                        bytes.write(buffer, 0, n);
                    }
                }
            } catch (IOException e) {
                // closed under us: keep what was read
            } finally {
                end.countDown();
            }
        }

        /** Waits until the output has ended (every holder closed it), at most until the deadline. */
        boolean awaitEnd(long deadlineNanos) throws InterruptedException {
            return end.await(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        }

        String text() {
            synchronized (bytes) {
                return bytes.toString(StandardCharsets.UTF_8);
            }
        }
    }
}
