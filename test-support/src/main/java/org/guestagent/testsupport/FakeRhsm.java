package org.guestagent.testsupport;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A private system bus (the real dbus-daemon, its socket at {@code <root>/run/dbus/system_bus_socket})
 * with a stand-in for RHSM on it (fake-rhsm.py beside this class, Python's dbus bindings), which
 * records each registration it receives. The programs' standard error (warnings such as
 * dbus-daemon's about file limits) goes to files in the scratch folder, not into the output read.
 */
public final class FakeRhsm implements AutoCloseable {
    private static final Path DAEMON = Path.of("/usr/bin/dbus-daemon");
    private static final Path PYTHON = Path.of("/usr/bin/python3");

    private final Path record;
    private final List<Process> processes = new ArrayList<>();

    private FakeRhsm(Path record) {
        this.record = record;
    }

    /** True when dbus-daemon and Python with dbus and gi are installed (Debian: dbus-daemon, python3-dbus, python3-gi). */
    public static boolean available() {
        if (!Files.isExecutable(DAEMON) || !Files.isExecutable(PYTHON)) {
            return false;
        }
        try {
            Process p = new ProcessBuilder(PYTHON.toString(), "-c", "import dbus, dbus.server, gi").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Starts the bus below {@code root} and the stand-in on it; its files go to {@code scratch}. */
    public static FakeRhsm start(Path root, Path scratch) throws Exception {
        Path socket = Files.createDirectories(root.resolve("run/dbus")).resolve("system_bus_socket");
        Path config = scratch.resolve("bus.conf");
        Files.writeString(config, """
                <!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
                 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
                <busconfig>
                  <listen>unix:path=%s</listen>
                  <auth>EXTERNAL</auth>
                  <policy context="default">
                    <allow user="*"/>
                    <allow own="*"/>
                    <allow send_destination="*"/>
                    <allow receive_sender="*"/>
                  </policy>
                </busconfig>
                """.formatted(socket));
        Path script = scratch.resolve("fake-rhsm.py");
        try (InputStream in = FakeRhsm.class.getResourceAsStream("fake-rhsm.py")) {
            Files.write(script, in.readAllBytes());
        }
        FakeRhsm fake = new FakeRhsm(scratch.resolve("registrations.jsonl"));
        try {
            Process daemon = fake.run(List.of(DAEMON.toString(), "--config-file=" + config, "--nofork", "--print-address"),
                    scratch.resolve("dbus-daemon.err"));
            String address = firstLine(daemon, "dbus-daemon", scratch.resolve("dbus-daemon.err"));
            Path errors = scratch.resolve("fake-rhsm.err");
            Process service = fake.run(List.of(PYTHON.toString(), script.toString(), address,
                    Files.createDirectories(scratch.resolve("rhsm-private")).toString(), fake.record.toString()), errors);
            String ready = firstLine(service, "fake-rhsm.py", errors);
            if (!ready.equals("ready")) {
                throw new IOException("fake-rhsm.py: " + ready + " " + Files.readString(errors));
            }
        } catch (Exception e) {
            fake.close();
            throw e;
        }
        return fake;
    }

    /** The registrations received, one JSON object per line. */
    public List<String> registrations() throws IOException {
        return Files.exists(record) ? Files.readAllLines(record) : List.of();
    }

    private Process run(List<String> command, Path errors) throws IOException {
        Process p = new ProcessBuilder(command).redirectError(errors.toFile()).start();
        processes.add(p);
        return p;
    }

    private static String firstLine(Process p, String name, Path errors) throws Exception {
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> {
            try {
                return out.readLine();
            } catch (IOException e) {
                return null;
            }
        });
        String first = line.get(30, TimeUnit.SECONDS);
        if (first == null) {
            throw new IOException(name + " ended without output (exit " + p.waitFor() + "): "
                    + Files.readString(errors));
        }
        return first.strip();
    }

    @Override
    public void close() throws InterruptedException {
        for (int i = processes.size() - 1; i >= 0; i--) { // the service before its bus
            Process p = processes.get(i);
            p.destroy();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }
}
