package org.guestagent.commands.kms;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A private system bus (the real dbus-daemon, its socket at {@code <root>/run/dbus/system_bus_socket})
 * with a stand-in for RHSM on it (src/test/resources/fake-rhsm.py, Python's dbus bindings), which
 * records each registration it receives.
 */
final class FakeRhsm implements AutoCloseable {
    private static final Path DAEMON = Path.of("/usr/bin/dbus-daemon");
    private static final Path PYTHON = Path.of("/usr/bin/python3");

    final Path record;
    private final Process daemon;
    private final Process service;

    private FakeRhsm(Path record, Process daemon, Process service) {
        this.record = record;
        this.daemon = daemon;
        this.service = service;
    }

    /** True when dbus-daemon and Python with dbus and gi are installed (Debian: dbus-daemon, python3-dbus, python3-gi). */
    static boolean available() {
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

    static FakeRhsm start(Path root, Path scratch) throws Exception {
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
        Process daemon = new ProcessBuilder(DAEMON.toString(), "--config-file=" + config, "--nofork", "--print-address")
                .redirectErrorStream(true).start();
        String address = firstLine(daemon, "dbus-daemon");
        Path record = scratch.resolve("registrations.jsonl");
        Path privateDir = Files.createDirectories(scratch.resolve("rhsm-private"));
        Path script = Path.of(FakeRhsm.class.getResource("/fake-rhsm.py").toURI());
        Process service = new ProcessBuilder(List.of(PYTHON.toString(), script.toString(), address, privateDir.toString(), record.toString()))
                .redirectErrorStream(true).start();
        FakeRhsm fake = new FakeRhsm(record, daemon, service);
        try {
            String ready = firstLine(service, "fake-rhsm.py");
            if (!ready.equals("ready")) {
                throw new IOException("fake-rhsm.py: " + ready + new String(service.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            }
        } catch (Exception e) {
            fake.close();
            throw e;
        }
        return fake;
    }

    /** The registrations received, one JSON object per line. */
    List<String> registrations() throws IOException {
        return Files.exists(record) ? Files.readAllLines(record) : List.of();
    }

    private static String firstLine(Process p, String name) throws Exception {
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
            throw new IOException(name + " ended without output (exit " + p.waitFor() + ")");
        }
        return first.strip();
    }

    @Override
    public void close() throws InterruptedException {
        for (Process p : List.of(service, daemon)) {
            p.destroy();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }
}
