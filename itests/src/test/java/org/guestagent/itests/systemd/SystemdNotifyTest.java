package org.guestagent.itests.systemd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.guestagent.itests.support.Distribution;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distribution as systemd runs it (Type=notify): the agent started in the foreground with
 * {@code NOTIFY_SOCKET} pointing at a datagram socket of this test (read by a small Python
 * receiver), {@code WATCHDOG_USEC} set and {@code JOURNAL_STREAM} set. READY=1 arrives once the
 * XenStore pair serves, WATCHDOG=1 keeps arriving, stops arriving while a dispatcher hangs (an
 * agentupdate whose server accepts the connection and never answers, with a dispatcher stall
 * limit of 2 s), and STOPPING=1 arrives on SIGTERM; the log lines on stdout carry syslog
 * priorities.
 */
class SystemdNotifyTest {
    private static final long LIMIT_MILLIS = 60_000;
    /** WATCHDOG_USEC: pings every 0.5 s. */
    private static final long WATCHDOG_USEC = 1_000_000;
    private static final String RECEIVER = """
            import socket, sys
            s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            s.bind(sys.argv[1])
            print("LISTENING", flush=True)
            while True:
                print(s.recv(4096).decode().replace("\\n", "|"), flush=True)
            """;

    @TempDir
    Path scratch;
    private final List<Process> processes = new ArrayList<>();
    private final List<String> notifications = new CopyOnWriteArrayList<>();
    private final List<String> output = Collections.synchronizedList(new ArrayList<>());

    @AfterEach
    void stop() {
        for (Process p : processes) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
    }

    @Test
    void readyWatchdogWhileDispatchersLiveAndStopping() throws Exception {
        assumeTrue(onPath("python3"), "python3 is needed to read the notification socket (scripts/install-test-deps.sh)");
        Path home = Distribution.copyInto(scratch);
        // a hang of the dispatcher: commands may run long (600 s), but the dispatcher counts as stuck after 2 s
        Files.writeString(home.resolve("config/org.guestagent.core.cfg"), "command.timeout.seconds=600\ndispatcher.stall.seconds=2\n");
        Path update = home.resolve("config/org.guestagent.commands.update.cfg");
        Files.writeString(update, Files.readString(update).replace("read.timeout.ms=60000", "read.timeout.ms=600000"));
        Path root = Files.createDirectories(scratch.resolve("root"));
        Path socket = scratch.resolve("notify.sock");

        Process receiver = start(List.of("python3", "-c", RECEIVER, socket.toString()), null, line -> {
            if (!line.equals("LISTENING")) {
                notifications.add(line);
            }
        });
        await("the receiver binds its socket", () -> Files.exists(socket));

        // JOURNAL_STREAM names the agent's stdout (here a pipe to this test), as systemd's does the journal's socket
        ProcessBuilder agent = new ProcessBuilder("sh", "-c", "JOURNAL_STREAM=$(stat -L -c %d:%i /proc/$$/fd/1) && export JOURNAL_STREAM"
                + " && exec \"$0\" --foreground --root \"$1\" --features guest-agent-core,guest-agent-xen,guest-agent-dev,guest-agent-shell", home.resolve("bin/guest-agent").toString(), root.toString());
        agent.environment().put("NOTIFY_SOCKET", socket.toString());
        agent.environment().put("WATCHDOG_USEC", Long.toString(WATCHDOG_USEC));
        Process running = start(agent.command(), agent, output::add);

        await("READY=1 once the XenStore pair serves", () -> notifications.stream().anyMatch(n -> n.startsWith("READY=1")));
        String ready = notifications.stream().filter(n -> n.startsWith("READY=1")).findFirst().orElseThrow();
        assertTrue(ready.contains("STATUS=Serving nova-json on xenstore:"), "READY=1 comes with what is served: " + ready);
        int readyAt = notifications.indexOf(ready);
        await("three WATCHDOG=1 after READY=1", () -> count(notifications.subList(readyAt, notifications.size()), "WATCHDOG=1") >= 3);
        assertEquals(0, count(notifications.subList(0, readyAt), "WATCHDOG=1"), "no ping before READY=1: " + notifications);

        // a download server that accepts and never answers: the agentupdate request hangs its dispatcher
        try (ServerSocket silent = new ServerSocket(0)) {
            List<Socket> held = new CopyOnWriteArrayList<>();
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        held.add(silent.accept());
                    }
                } catch (IOException closed) {
                    // test over
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            ProcessBuilder host = new ProcessBuilder(home.resolve("bin/guest-agent-client").toString(), "--timeout", "300",
                    "agentupdate", "https://127.0.0.1:" + silent.getLocalPort() + "/agent.jar", "0123456789abcdef0123456789abcdef");
            host.environment().put("XENSTORED_PATH", root.resolve("run/guest-agent/xenstored.sock").toString());
            start(host.command(), host, line -> { });
            await("the agent connects to the silent server", () -> !held.isEmpty());

            // pings stop: none for 10 intervals (5 s) running
            long quietSince = System.nanoTime();
            int seen = notifications.size();
            long deadline = System.currentTimeMillis() + LIMIT_MILLIS;
            while (TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - quietSince) < 5_000) {
                if (System.currentTimeMillis() > deadline) {
                    fail("WATCHDOG=1 kept arriving while a dispatcher hung: " + notifications.subList(seen, notifications.size()));
                }
                if (count(notifications.subList(seen, notifications.size()), "WATCHDOG=1") > 0) {
                    quietSince = System.nanoTime();
                    seen = notifications.size();
                }
                Thread.sleep(100);
            }
            await("STATUS says a dispatcher is stuck", () -> notifications.stream().anyMatch(n -> n.contains("STATUS=A dispatcher is stuck")));
            await("the log says which dispatcher is stuck, as a warning (<4>)",
                    () -> snapshot(output).stream().anyMatch(l -> l.startsWith("<4>") && l.contains("Dispatcher stuck for more than 2 s")));

            new ProcessBuilder("kill", "-TERM", Long.toString(running.pid())).start().waitFor();
            await("STOPPING=1 on SIGTERM", () -> notifications.stream().anyMatch(n -> n.startsWith("STOPPING=1")));
        }
        List<String> lines = snapshot(output);
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("<6>INFO [org.guestagent.launcher.Main] guest-agent ") && l.contains("starting")),
                "info lines carry <6>: " + lines.subList(0, Math.min(5, lines.size())));
        assertTrue(Files.notExists(root.resolve("var/log/guest-agent.log")), "no log file under the journal");
        receiver.destroy();
    }

    private Process start(List<String> command, ProcessBuilder builder, java.util.function.Consumer<String> lines) throws IOException {
        ProcessBuilder b = builder != null ? builder : new ProcessBuilder(command);
        b.redirectErrorStream(true);
        Process p = b.start();
        processes.add(p);
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    lines.accept(line);
                }
            } catch (IOException ended) {
                // process gone
            }
        });
        reader.setDaemon(true);
        reader.start();
        return p;
    }

    private void await(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.currentTimeMillis() + LIMIT_MILLIS;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                fail("not within " + LIMIT_MILLIS / 1000 + " s: " + what + "; notifications " + notifications
                        + "; agent output (last 30) " + tail(snapshot(output), 30));
            }
            Thread.sleep(50);
        }
    }

    private static long count(List<String> list, String prefix) {
        return list.stream().filter(n -> n.startsWith(prefix)).count();
    }

    private static List<String> snapshot(List<String> list) {
        synchronized (list) {
            return new ArrayList<>(list);
        }
    }

    private static List<String> tail(List<String> list, int n) {
        return list.subList(Math.max(0, list.size() - n), list.size());
    }

    private static boolean onPath(String program) {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(":"))
                .anyMatch(dir -> Files.isExecutable(Path.of(dir, program)));
    }

}
