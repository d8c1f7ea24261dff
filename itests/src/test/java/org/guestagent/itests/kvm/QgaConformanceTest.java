package org.guestagent.itests.kvm;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assume.assumeTrue;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.options;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import javax.inject.Inject;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.guestagent.api.runtime.PairingRegistry;
import org.guestagent.itests.support.AgentBundles;
import org.guestagent.itests.support.Await;
import org.junit.AfterClass;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * Debian's qemu-ga 7.2 and the agent's QGA pair, each on a unix-listen socket, get the same
 * requests; their answers must agree once values that differ by nature are normalised (time,
 * qemu-ga's version and command list, interface counters). Needs the package qemu-guest-agent; skips without it.
 * Requests that would change the machine (a password that could be set) go only to the agent in
 * {@link QgaGuestChangesTest}; here qemu-ga gets only ones it refuses.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class QgaConformanceTest {
    static final String QEMU_GA = "/usr/sbin/qemu-ga";
    /** Strings past Jackson's default limit: a guest-exec-status with 16 MiB of output is 22 million characters. */
    private static final ObjectMapper JSON = new ObjectMapper(com.fasterxml.jackson.core.JsonFactory.builder()
            .streamReadConstraints(com.fasterxml.jackson.core.StreamReadConstraints.builder().maxStringLength(64 << 20).build())
            .build());

    @Inject
    private PairingRegistry pairs;
    @Inject
    private ConfigurationAdmin configAdmin;

    private static Path scratch;
    private static Path ourSocket;
    private static Process qemuGa;

    @Configuration
    public Option[] config() {
        Path root = AgentBundles.scratch("qga-root");
        return options(AgentBundles.foundation(),
                AgentBundles.allCommands(root),
                QgaInContainer.bundles(),
                frameworkProperty("guestagent.root").value(root.toString()));
    }

    @Before
    public void bothAgentsListen() throws Exception {
        assumeTrue("qemu-ga is missing: install the Debian package qemu-guest-agent (scripts/install-test-deps.sh)",
                Files.isExecutable(Path.of(QEMU_GA)));
        if (scratch != null) {
            return;
        }
        scratch = AgentBundles.scratch("qga-conformance");
        ourSocket = scratch.resolve("agent.sock");
        // guest-exec and guest-fsfreeze-* act for real, as qemu-ga does (only harmless programs are run,
        // and only empty or unknown mount points are ever frozen)
        QgaInContainer.realSystemActions(configAdmin);
        QgaInContainer.listen(configAdmin, pairs, ourSocket);

        Path state = Files.createDirectories(scratch.resolve("qemu-ga-state"));
        Path qemuSocket = scratch.resolve("qemu-ga.sock");
        qemuGa = new ProcessBuilder(QEMU_GA, "-m", "unix-listen", "-p", qemuSocket.toString(), "-t", state.toString())
                .redirectErrorStream(true).redirectOutput(scratch.resolve("qemu-ga.log").toFile()).start();
        Await.until("qemu-ga listens on " + qemuSocket, Duration.ofSeconds(30), () -> Files.exists(qemuSocket));

        // the same guest facts below the agent's root as qemu-ga sees on this machine
        Path root = Path.of(context());
        copyIfExists(Path.of("/etc/os-release"), root);
        copyIfExists(Path.of("/run/utmp"), root);
        copyIfExists(Path.of("/etc/passwd"), root);
        Path shadow = Files.createDirectories(root.resolve("etc")).resolve("shadow");
        Files.writeString(shadow, "root:*:19000:0:99999:7:::\n");
    }

    private String context() {
        return org.osgi.framework.FrameworkUtil.getBundle(getClass()).getBundleContext().getProperty("guestagent.root");
    }

    private static void copyIfExists(Path file, Path root) throws IOException {
        if (Files.exists(file)) {
            Path target = root.resolve(file.toString().substring(1));
            Files.createDirectories(target.getParent());
            Files.copy(file, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    @AfterClass
    public static void stopQemuGa() throws InterruptedException {
        if (qemuGa != null) {
            qemuGa.destroyForcibly().waitFor();
        }
    }

    /** One exchange with the host: the writes it makes and how many answer lines follow. */
    private record Step(String what, List<byte[]> writes, int answers) {
    }

    private static Step step(String request) {
        return new Step(request, List.of(request.getBytes(StandardCharsets.UTF_8)), 1);
    }

    private static Step step(String what, int answers, byte[]... writes) {
        return new Step(what, List.of(writes), answers);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private List<Step> steps(Path dataFile) {
        String file = dataFile.toString();
        List<Step> steps = new ArrayList<>();
        for (String request : List.of(
                "{\"execute\":\"guest-ping\"}",
                "{\"execute\":\"guest-ping\",\"id\":5}",
                "{\"execute\":\"guest-ping\",\"id\":{\"a\":[1,\"x\"]}}",
                "{\"execute\":\"guest-ping\",\"arguments\":{\"x\":1}}",
                "{\"execute\":\"guest-ping\",\"foo\":1}",
                "{\"execute\":\"guest-ping\",\"arguments\":null}",
                "{\"execute\":\"guest-sync\",\"arguments\":{\"id\":42}}",
                "{\"execute\":\"guest-sync\",\"arguments\":{\"id\":-3},\"id\":\"s\"}",
                "{\"execute\":\"guest-sync\"}",
                "{\"execute\":\"guest-sync\",\"arguments\":{\"foo\":1},\"id\":3}",
                "{\"execute\":\"guest-sync\",\"arguments\":{\"id\":1,\"foo\":2}}",
                "{\"execute\":\"guest-sync\",\"arguments\":{\"id\":\"x\"}}",
                "{\"execute\":\"guest-sync\",\"arguments\":{\"id\":1.5}}",
                "{\"execute\":\"guest-sync\",\"arguments\":{\"id\":18446744073709551616}}",
                "{\"execute\":\"guest-sync\",\"arguments\":[]}",
                "{\"execute\":\"guest-sync-delimited\",\"arguments\":{\"id\":7}}",
                "{\"execute\":\"guest-sync-delimited\"}",
                "{\"execute\":\"no-such-command\",\"id\":\"z\"}",
                "{\"execute\":5}",
                "{\"arguments\":{},\"id\":4}",
                "[1]",
                "\"text\"",
                "}",
                "{\"execute\":\"guest-ping\",}",
                "{\"a\":tru}",
                "{\"execute\":\"guest-info\"}",
                "{\"execute\":\"guest-get-time\"}",
                "{\"execute\":\"guest-get-host-name\"}",
                "{\"execute\":\"guest-get-timezone\"}",
                "{\"execute\":\"guest-get-osinfo\"}",
                "{\"execute\":\"guest-get-users\"}",
                "{\"execute\":\"guest-network-get-interfaces\"}",
                "{\"execute\":\"guest-network-get-interfaces\",\"arguments\":{\"x\":1}}",
                "{\"execute\":\"guest-get-time\",\"arguments\":{\"x\":1}}",
                "{\"execute\":\"guest-set-user-password\",\"arguments\":{\"username\":\"no-such-user-qga\",\"password\":\"eA==\",\"crypted\":false}}",
                "{\"execute\":\"guest-set-user-password\",\"arguments\":{\"username\":\"root\",\"password\":\"!!!\",\"crypted\":false}}",
                "{\"execute\":\"guest-set-user-password\",\"arguments\":{\"username\":\"root\",\"password\":\"eA==\"}}",
                "{\"execute\":\"guest-set-user-password\",\"arguments\":{\"username\":\"root\",\"password\":\"eA==\",\"crypted\":1}}",
                "{\"execute\":\"guest-ssh-get-authorized-keys\",\"arguments\":{\"username\":\"no-such-user-qga\"}}",
                "{\"execute\":\"guest-ssh-get-authorized-keys\",\"arguments\":{\"username\":\"nobody\"}}",
                "{\"execute\":\"guest-ssh-get-authorized-keys\"}",
                "{\"execute\":\"guest-ssh-add-authorized-keys\",\"arguments\":{\"username\":\"no-such-user-qga\",\"keys\":[\"ssh-ed25519 AAAA x\"]}}",
                "{\"execute\":\"guest-ssh-add-authorized-keys\",\"arguments\":{\"username\":\"no-such-user-qga\",\"keys\":\"x\"}}",
                "{\"execute\":\"guest-ssh-add-authorized-keys\",\"arguments\":{\"username\":\"no-such-user-qga\",\"keys\":[1]}}",
                "{\"execute\":\"guest-ssh-add-authorized-keys\",\"arguments\":{\"username\":\"no-such-user-qga\",\"keys\":[\"k\"],\"reset\":\"x\"}}",
                "{\"execute\":\"guest-ssh-remove-authorized-keys\",\"arguments\":{\"username\":\"no-such-user-qga\",\"keys\":[\"k\"]}}",
                "{\"execute\":\"guest-file-open\"}",
                "{\"execute\":\"guest-file-open\",\"arguments\":{\"path\":5}}",
                "{\"execute\":\"guest-file-open\",\"arguments\":{\"path\":\"" + file + ".missing/x\"}}",
                "{\"execute\":\"guest-file-open\",\"arguments\":{\"path\":\"" + file + "\",\"mode\":\"zz\"}}",
                "{\"execute\":\"guest-file-open\",\"arguments\":{\"path\":\"" + file + "\"}}",
                "{\"execute\":\"guest-file-read\",\"arguments\":{\"handle\":1000,\"count\":-1}}",
                "{\"execute\":\"guest-file-read\",\"arguments\":{\"handle\":1000,\"count\":100000000}}",
                "{\"execute\":\"guest-file-read\",\"arguments\":{\"handle\":1000,\"count\":3}}",
                "{\"execute\":\"guest-file-read\",\"arguments\":{\"handle\":1000}}",
                "{\"execute\":\"guest-file-write\",\"arguments\":{\"handle\":1000,\"buf-b64\":\"eA==\",\"count\":5}}",
                "{\"execute\":\"guest-file-write\",\"arguments\":{\"handle\":1000,\"buf-b64\":\"eA==\"}}",
                "{\"execute\":\"guest-file-seek\",\"arguments\":{\"handle\":1000,\"offset\":1,\"whence\":\"set\"}}",
                "{\"execute\":\"guest-file-seek\",\"arguments\":{\"handle\":1000,\"offset\":-1,\"whence\":\"end\"}}",
                "{\"execute\":\"guest-file-seek\",\"arguments\":{\"handle\":1000,\"offset\":1,\"whence\":\"bad\"}}",
                "{\"execute\":\"guest-file-seek\",\"arguments\":{\"handle\":1000,\"offset\":1,\"whence\":7}}",
                "{\"execute\":\"guest-file-seek\",\"arguments\":{\"handle\":1000,\"offset\":0,\"whence\":0}}",
                "{\"execute\":\"guest-file-read\",\"arguments\":{\"handle\":1000}}",
                "{\"execute\":\"guest-file-flush\",\"arguments\":{\"handle\":1000}}",
                "{\"execute\":\"guest-file-close\",\"arguments\":{\"handle\":1000}}",
                "{\"execute\":\"guest-file-close\",\"arguments\":{\"handle\":1000}}",
                "{\"execute\":\"guest-file-read\",\"arguments\":{\"handle\":5}}",
                "{\"execute\":\"guest-file-open\",\"arguments\":{\"path\":\"" + file + ".new\",\"mode\":\"w+\"}}",
                "{\"execute\":\"guest-file-write\",\"arguments\":{\"handle\":1001,\"buf-b64\":\"!!\"}}",
                "{\"execute\":\"guest-file-write\",\"arguments\":{\"handle\":1001,\"buf-b64\":\"AAEC/w==\"}}",
                "{\"execute\":\"guest-file-seek\",\"arguments\":{\"handle\":1001,\"offset\":0,\"whence\":\"set\"}}",
                "{\"execute\":\"guest-file-read\",\"arguments\":{\"handle\":1001}}",
                "{\"execute\":\"guest-file-close\",\"arguments\":{\"handle\":1001}}",
                "{\"execute\":\"guest-exec\"}",
                "{\"execute\":\"guest-exec\",\"arguments\":{\"path\":5}}",
                "{\"execute\":\"guest-exec\",\"arguments\":{\"path\":\"/no/such/program\"}}",
                "{\"execute\":\"guest-exec\",\"arguments\":{\"path\":\"no-such-program-qga\"}}",
                "{\"execute\":\"guest-exec\",\"arguments\":{\"path\":\"echo\",\"arg\":\"x\"}}",
                "{\"execute\":\"guest-exec\",\"arguments\":{\"path\":\"echo\",\"arg\":[\"a\",1]}}",
                "{\"execute\":\"guest-exec\",\"arguments\":{\"path\":\"echo\",\"env\":\"A=1\"}}",
                "{\"execute\":\"guest-exec\",\"arguments\":{\"path\":\"echo\",\"input-data\":\"!!\"}}",
                "{\"execute\":\"guest-exec\",\"arguments\":{\"path\":\"echo\",\"capture-output\":\"merged\"}}",
                "{\"execute\":\"guest-exec\",\"arguments\":{\"path\":\"echo\",\"x\":1}}",
                "{\"execute\":\"guest-exec-status\"}",
                "{\"execute\":\"guest-exec-status\",\"arguments\":{\"pid\":\"x\"}}",
                "{\"execute\":\"guest-exec-status\",\"arguments\":{\"pid\":1}}",
                "{\"execute\":\"guest-exec-status\",\"arguments\":{\"pid\":1,\"y\":2}}",
                "{\"execute\":\"guest-fsfreeze-status\"}",
                "{\"execute\":\"guest-fsfreeze-status\",\"arguments\":{\"x\":1}}",
                "{\"execute\":\"guest-fsfreeze-freeze\",\"arguments\":{\"x\":1}}",
                "{\"execute\":\"guest-fsfreeze-freeze-list\",\"arguments\":{\"mountpoints\":[]}}",
                "{\"execute\":\"guest-fsfreeze-freeze-list\",\"arguments\":{\"mountpoints\":[\"/no/such/mount\"]}}",
                "{\"execute\":\"guest-fsfreeze-freeze-list\",\"arguments\":{\"mountpoints\":\"x\"}}",
                "{\"execute\":\"guest-fsfreeze-freeze-list\",\"arguments\":{\"mountpoints\":[1]}}",
                "{\"execute\":\"guest-fsfreeze-freeze-list\",\"arguments\":{\"y\":[]}}",
                "{\"execute\":\"guest-fsfreeze-status\"}",
                "{\"execute\":\"guest-fsfreeze-thaw\"}",
                "{\"execute\":\"guest-fsfreeze-thaw\",\"arguments\":{\"x\":1}}")) {
            steps.add(step(request));
        }
        steps.add(step("two requests in one write", 2, bytes("{\"execute\":\"guest-ping\"}{\"execute\":\"guest-sync\",\"arguments\":{\"id\":9},\"id\":\"a\"}")));
        steps.add(step("a request split over three writes", 1, bytes("{\"execute\":\"guest-sy"), bytes("nc\",\"argum"),
                bytes("ents\":{\"id\":11}}\n")));
        steps.add(step("a half request and 0xFF", 2, bytes("{\"execute\":\"guest-ping\""), new byte[] {(byte) 0xFF},
                bytes("{\"execute\":\"guest-ping\",\"id\":1}")));
        steps.add(step("a number then a request", 2, bytes("123\n{\"execute\":\"guest-ping\"}")));
        return steps;
    }

    @Test
    public void theAgentAnswersAsQemuGa() throws Exception {
        Path root = Path.of(context());
        Path data = scratch.resolve("files").resolve("data.bin");
        byte[] content = "hello, guest\n".getBytes(StandardCharsets.UTF_8);
        Files.createDirectories(data.getParent());
        Files.write(data, content);
        Path ours = root.resolve(data.toString().substring(1));
        Files.createDirectories(ours.getParent());
        Files.write(ours, content);

        List<Step> steps = steps(data);
        List<String> qemu = talk(scratch.resolve("qemu-ga.sock"), steps);
        List<String> agent = talk(ourSocket, steps);
        int expected = steps.stream().mapToInt(Step::answers).sum();
        assertEquals("qemu-ga's answers", expected, qemu.size());
        assertEquals("the agent's answers", expected, agent.size());
        Files.write(scratch.resolve("transcript.txt"), (String.join("\n", qemu) + "\n\n" + String.join("\n", agent)).getBytes(StandardCharsets.UTF_8));
        List<String> differences = new ArrayList<>();
        for (int i = 0; i < qemu.size(); i++) {
            String q = normalise(qemu.get(i));
            String a = normalise(agent.get(i));
            if (!q.equals(a)) {
                differences.add("\n  " + qemu.get(i).substring(0, qemu.get(i).indexOf(" => ")) + "\n    qemu-ga: " + q + "\n    agent:   " + a);
            }
        }
        assertTrue("the agent answers differently:" + differences, differences.isEmpty());
        assertArrayEquals("guest-file-write wrote the same bytes", Files.readAllBytes(Path.of(data + ".new")),
                Files.readAllBytes(Path.of(ours + ".new")));
    }

    /**
     * guest-exec then guest-exec-status until the program has ended, on each agent: the same
     * status (exit code or signal, output and error in base64, truncation at 16 MiB), once; the pid
     * differs by nature.
     */
    @Test
    public void execAnswersAsQemuGa() throws Exception {
        List<String> programs = List.of(
                "{\"path\":\"sh\",\"arg\":[\"-c\",\"echo out; echo err >&2; exit 3\"],\"capture-output\":true}",
                "{\"path\":\"cat\",\"input-data\":\"aGVsbG8sIGhvc3QK\",\"capture-output\":true}",
                "{\"path\":\"cat\",\"input-data\":\"\",\"capture-output\":true}",
                "{\"path\":\"sh\",\"arg\":[\"-c\",\"kill -9 $$\"],\"capture-output\":true}",
                "{\"path\":\"sh\",\"arg\":[\"-c\",\"echo $FOO; env | grep -c =\"],\"env\":[\"FOO=bar\"],\"capture-output\":true}",
                "{\"path\":\"sh\",\"arg\":[\"-c\",\"echo not kept; exit 1\"]}",
                "{\"path\":\"sh\",\"arg\":[\"-c\",\"printf x >&2\"],\"capture-output\":true}",
                "{\"path\":\"sleep\",\"arg\":[\"3\"],\"capture-output\":true}",
                "{\"path\":\"head\",\"arg\":[\"-c\",\"17000000\",\"/dev/zero\"],\"capture-output\":true}");
        // a qemu-ga of its own: Pax Exam runs @AfterClass after each test method, which stops the shared one
        Path state = Files.createDirectories(scratch.resolve("qemu-ga-exec-state"));
        Path qemuSocket = scratch.resolve("qemu-ga-exec.sock");
        Process execQemuGa = new ProcessBuilder(QEMU_GA, "-m", "unix-listen", "-p", qemuSocket.toString(), "-t", state.toString())
                .redirectErrorStream(true).redirectOutput(scratch.resolve("qemu-ga-exec.log").toFile()).start();
        try {
            Await.until("qemu-ga answers on " + qemuSocket, Duration.ofSeconds(30), () -> {
                try (QgaHost host = new QgaHost(qemuSocket)) {
                    return true;
                } catch (IOException e) {
                    return false;
                }
            });
            for (String program : programs) {
                List<String> qemu = execUntilEnded(qemuSocket, program);
                List<String> agent = execUntilEnded(ourSocket, program);
                assertEquals("guest-exec " + program + " then its status, qemu-ga then the agent", qemu, agent);
            }
        } finally {
            execQemuGa.destroyForcibly().waitFor();
        }
    }

    /** guest-exec's answer (pid normalised), the first status, and the final status, as canonical JSON. */
    private static List<String> execUntilEnded(Path socket, String arguments) throws Exception {
        List<String> answers = new ArrayList<>();
        try (QgaHost host = new QgaHost(socket)) {
            host.write("{\"execute\":\"guest-exec\",\"arguments\":" + arguments + "}");
            JsonNode started = JSON.readTree(host.answer());
            long pid = started.path("return").path("pid").asLong();
            assertTrue(socket + ": " + started, pid > 0);
            ((ObjectNode) started.get("return")).put("pid", 0);
            answers.add(JSON.writeValueAsString(sorted(started)));
            String status = "{\"execute\":\"guest-exec-status\",\"arguments\":{\"pid\":" + pid + "}}";
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            boolean first = true;
            while (true) {
                host.write(status);
                byte[] line = host.answer();
                assertNotNull(socket + ": no answer to " + status, line);
                JsonNode answer = JSON.readTree(line);
                boolean exited = answer.path("return").path("exited").asBoolean();
                if (first && arguments.contains("sleep")) {
                    answers.add("first: " + JSON.writeValueAsString(sorted(answer))); // still running, on both
                }
                first = false;
                if (exited) {
                    answers.add(JSON.writeValueAsString(sorted(answer)));
                    break;
                }
                assertTrue(socket + ": pid " + pid + " has not ended within 60 s", System.nanoTime() < deadline);
                Thread.sleep(100);
            }
            host.write(status);
            answers.add("again: " + JSON.writeValueAsString(sorted(JSON.readTree(host.answer()))));
        }
        return answers;
    }

    /** qemu-ga 7.2 --block-rpcs and the parser's block.rpcs: the same answers, the same enabled flags. */
    @Test
    public void blockedCommandsAnswerAsQemuGa() throws Exception {
        String blocked = "guest-ping,guest-get-time";
        Path state = Files.createDirectories(scratch.resolve("qemu-ga-blocking-state"));
        Path qemuSocket = scratch.resolve("qemu-ga-blocking.sock");
        Process blocking = new ProcessBuilder(QEMU_GA, "-m", "unix-listen", "-p", qemuSocket.toString(), "-t", state.toString(),
                "--block-rpcs=" + blocked).redirectErrorStream(true).redirectOutput(scratch.resolve("qemu-ga-blocking.log").toFile()).start();
        org.osgi.service.cm.Configuration parserConfig = configAdmin.getConfiguration("org.guestagent.parser.qga", "?");
        try {
            Await.until("qemu-ga listens on " + qemuSocket, Duration.ofSeconds(30), () -> Files.exists(qemuSocket));
            Hashtable<String, Object> props = new Hashtable<>();
            props.put("block.rpcs", blocked);
            parserConfig.update(props);
            List<Step> steps = List.of(step("{\"execute\":\"guest-ping\",\"id\":1}"),
                    step("{\"execute\":\"guest-get-time\",\"arguments\":{\"x\":1}}"),
                    step("{\"execute\":\"guest-sync\",\"arguments\":{\"id\":3}}"));
            // ConfigAdmin delivers the update to the parser a moment later: ask until it applies
            Await.until("the agent disables guest-ping", Duration.ofSeconds(30),
                    () -> talk(ourSocket, steps.subList(0, 1)).get(0).contains("has been disabled"));
            List<String> qemu = talk(qemuSocket, steps);
            List<String> agent = talk(ourSocket, steps);
            for (int i = 0; i < qemu.size(); i++) {
                assertEquals(normalise(qemu.get(i)), normalise(agent.get(i)));
            }
            Map<String, Boolean> qemuEnabled = enabled(talk(qemuSocket, List.of(step("{\"execute\":\"guest-info\"}"))).get(0));
            Map<String, Boolean> ourEnabled = enabled(talk(ourSocket, List.of(step("{\"execute\":\"guest-info\"}"))).get(0));
            assertEquals(Boolean.FALSE, ourEnabled.get("guest-ping"));
            for (Map.Entry<String, Boolean> e : ourEnabled.entrySet()) {
                assertEquals("enabled of " + e.getKey(), qemuEnabled.get(e.getKey()), e.getValue());
            }
        } finally {
            parserConfig.delete();
            blocking.destroyForcibly().waitFor();
            Await.until("the agent enables guest-ping again", Duration.ofSeconds(30),
                    () -> talk(ourSocket, List.of(step("{\"execute\":\"guest-ping\"}"))).get(0).contains("return"));
        }
    }

    /**
     * A freeze of a loop-mounted ext4 image (guest-fsfreeze-freeze-list naming only its mount point;
     * never guest-fsfreeze-freeze, which would freeze every file system of this machine), the same
     * requests while frozen, the thaw, and the same requests after it: first to qemu-ga 7.2, then to
     * the agent; the answers and guest-info's enabled flags must agree. Needs root and mkfs.ext4.
     */
    @Test
    public void whileFrozenTheAgentDisablesWhatQemuGaDisables() throws Exception {
        assumeTrue("fsfreeze needs root (mount -o loop, FIFREEZE): skipped, not root", LoopImages.isRoot());
        assumeTrue("mkfs.ext4 (e2fsprogs) or mount is missing", LoopImages.onPath("mkfs.ext4") && LoopImages.onPath("mount"));
        Path images = AgentBundles.scratch("qga-conformance-frozen");
        Path image = images.resolve("ext4.img");
        try (java.io.RandomAccessFile file = new java.io.RandomAccessFile(image.toFile(), "rw")) {
            file.setLength(64L << 20);
        }
        LoopImages.run("mkfs.ext4", "-q", "-F", image.toString());
        Path mountPoint = Files.createDirectories(images.resolve("mnt"));
        LoopImages.run("mount", "-o", "loop", image.toString(), mountPoint.toString());
        String freezeList = "{\"execute\":\"guest-fsfreeze-freeze-list\",\"arguments\":{\"mountpoints\":[\"" + mountPoint + "\"]}}";
        List<Step> frozen = new ArrayList<>();
        for (String request : List.of(
                "{\"execute\":\"guest-fsfreeze-status\"}",
                "{\"execute\":\"guest-ping\",\"id\":1}",
                "{\"execute\":\"guest-sync\",\"arguments\":{\"id\":3}}",
                "{\"execute\":\"guest-sync-delimited\",\"arguments\":{\"id\":4}}",
                "{\"execute\":\"guest-get-osinfo\",\"id\":\"x\"}",
                "{\"execute\":\"guest-get-time\"}",
                "{\"execute\":\"guest-exec\",\"arguments\":{\"bad\":1}}",
                "{\"execute\":\"guest-file-open\",\"arguments\":{\"path\":\"/no/such\"}}",
                "{\"execute\":\"guest-set-user-password\",\"arguments\":{\"username\":\"no-such-user-qga\",\"password\":\"eA==\",\"crypted\":false}}",
                freezeList,
                "{\"execute\":\"no-such-command\"}",
                "{\"execute\":\"guest-fsfreeze-status\",\"arguments\":{\"x\":1}}",
                "{\"execute\":\"guest-fsfreeze-thaw\",\"arguments\":{\"x\":1}}")) {
            frozen.add(step(request));
        }
        List<Step> thawed = List.of(step("{\"execute\":\"guest-fsfreeze-thaw\"}"), step("{\"execute\":\"guest-fsfreeze-status\"}"),
                step("{\"execute\":\"guest-get-osinfo\",\"id\":\"x\"}"), step("{\"execute\":\"guest-get-time\",\"arguments\":{\"x\":1}}"));
        Path frozenFile = Path.of(context()).resolve("run/guest-agent/qga.state.isfrozen");
        // a qemu-ga of its own: Pax Exam runs @AfterClass after each test method, which stops the shared one
        Path qemuState = Files.createDirectories(scratch.resolve("qemu-ga-frozen-state"));
        Path qemuSocket = scratch.resolve("qemu-ga-frozen.sock");
        Process frozenQemuGa = new ProcessBuilder(QEMU_GA, "-m", "unix-listen", "-p", qemuSocket.toString(), "-t", qemuState.toString())
                .redirectErrorStream(true).redirectOutput(scratch.resolve("qemu-ga-frozen.log").toFile()).start();
        try {
            Await.until("qemu-ga listens on " + qemuSocket, Duration.ofSeconds(30), () -> Files.exists(qemuSocket));
            List<String> qemu = new ArrayList<>();
            List<Map<String, Boolean>> qemuEnabled = new ArrayList<>();
            frozenSequence(qemuSocket, freezeList, frozen, thawed, qemu, qemuEnabled, qemuState.resolve("qga.state.isfrozen"));
            List<String> agent = new ArrayList<>();
            List<Map<String, Boolean>> agentEnabled = new ArrayList<>();
            frozenSequence(ourSocket, freezeList, frozen, thawed, agent, agentEnabled, frozenFile);
            List<String> differences = new ArrayList<>();
            for (int i = 0; i < qemu.size(); i++) {
                if (!normalise(qemu.get(i)).equals(normalise(agent.get(i)))) {
                    differences.add("\n  " + qemu.get(i) + "\n    agent: " + agent.get(i));
                }
            }
            assertTrue("the agent answers differently while frozen:" + differences, differences.isEmpty());
            for (int phase = 0; phase < 2; phase++) {
                assertTrue(agentEnabled.get(phase).containsKey("guest-get-osinfo"));
                for (Map.Entry<String, Boolean> e : agentEnabled.get(phase).entrySet()) {
                    assertEquals((phase == 0 ? "frozen" : "thawed") + ": enabled of " + e.getKey(),
                            qemuEnabled.get(phase).get(e.getKey()), e.getValue());
                }
            }
            assertEquals(Boolean.FALSE, agentEnabled.get(0).get("guest-get-osinfo"));
            assertEquals(Boolean.TRUE, agentEnabled.get(1).get("guest-get-osinfo"));
        } finally {
            // whatever happened above, leave nothing frozen or mounted (a frozen qemu-ga ignores SIGTERM)
            new ProcessBuilder("fsfreeze", "--unfreeze", mountPoint.toString()).start().waitFor(30, java.util.concurrent.TimeUnit.SECONDS);
            frozenQemuGa.destroyForcibly().waitFor();
            LoopImages.run("umount", mountPoint.toString());
        }
    }

    /**
     * Freezes the image on one agent, puts the frozen steps and guest-info, checks the frozen file
     * is there, then the thawed steps and guest-info, and checks the file is gone. The thaw is
     * sent in a finally too, so a failure leaves nothing frozen.
     */
    private static void frozenSequence(Path socket, String freezeList, List<Step> frozen, List<Step> thawed,
            List<String> answers, List<Map<String, Boolean>> enabled, Path frozenFile) throws Exception {
        boolean thawSent = false;
        try {
            answers.addAll(talk(socket, List.of(step(freezeList))));
            assertTrue(socket + " froze the image: " + answers, answers.get(answers.size() - 1).endsWith("{\"return\":1}")
                    || answers.get(answers.size() - 1).endsWith("{\"return\": 1}"));
            answers.addAll(talk(socket, frozen));
            enabled.add(enabled(talk(socket, List.of(step("{\"execute\":\"guest-info\"}"))).get(0)));
            assertTrue(socket + ": the frozen file " + frozenFile, Files.exists(frozenFile));
            thawSent = true;
            answers.addAll(talk(socket, thawed));
            enabled.add(enabled(talk(socket, List.of(step("{\"execute\":\"guest-info\"}"))).get(0)));
            assertTrue(socket + ": the frozen file is gone after the thaw", !Files.exists(frozenFile));
        } finally {
            if (!thawSent) {
                talk(socket, List.of(step("{\"execute\":\"guest-fsfreeze-thaw\"}")));
            }
        }
    }

    private static Map<String, Boolean> enabled(String line) throws IOException {
        Map<String, Boolean> enabled = new java.util.TreeMap<>();
        for (JsonNode c : JSON.readTree(line.substring(line.indexOf(" => ") + 4)).path("return").path("supported_commands")) {
            enabled.put(c.get("name").asText(), c.get("enabled").asBoolean());
        }
        return enabled;
    }

    /** Each step's request and its answers, one connection for all, as "request => answer". */
    private static List<String> talk(Path socket, List<Step> steps) throws Exception {
        List<String> answers = new ArrayList<>();
        try (QgaHost host = new QgaHost(socket)) {
            for (Step step : steps) {
                for (byte[] write : step.writes()) {
                    host.write(write);
                    Thread.sleep(20); // separate writes, so the far end really reads them apart
                }
                for (int i = 0; i < step.answers(); i++) {
                    byte[] line = host.answer();
                    assertNotNull(socket + ": no answer to " + step.what(), line);
                    boolean delimited = line.length > 0 && line[0] == (byte) 0xFF;
                    String text = new String(line, delimited ? 1 : 0, line.length - (delimited ? 1 : 0), StandardCharsets.UTF_8);
                    assertTrue("one answer per line: " + text, text.endsWith("\n") && text.indexOf('\n') == text.length() - 1);
                    answers.add(step.what() + " => " + (delimited ? "<0xFF>" : "") + text.strip());
                }
            }
        }
        return answers;
    }

    /**
     * The answer as canonical JSON, with values that differ by nature replaced: the time, and
     * guest-info's version and command list (qemu-ga offers commands the agent does not have yet;
     * each entry must still have qemu-ga's keys).
     */
    private static String normalise(String line) throws IOException {
        String what = line.substring(0, line.indexOf(" => "));
        String answer = line.substring(line.indexOf(" => ") + 4);
        String prefix = answer.startsWith("<0xFF>") ? "<0xFF>" : "";
        JsonNode node = JSON.readTree(answer.substring(prefix.length()));
        if (node.has("return")) {
            ObjectNode object = (ObjectNode) node;
            if (what.contains("guest-get-time\"}")) {
                assertTrue(line, node.get("return").isIntegralNumber());
                object.put("return", 0);
            }
            if (what.contains("guest-info")) {
                ObjectNode info = (ObjectNode) node.get("return");
                assertTrue(line, info.get("version").isTextual());
                info.put("version", "VERSION");
                ArrayNode commands = (ArrayNode) info.get("supported_commands");
                for (JsonNode c : commands) {
                    assertEquals(line, List.of("enabled", "name", "success-response"), fieldNames(c));
                }
                info.put("supported_commands", "LIST");
            }
            if (what.contains("guest-network-get-interfaces\"}")) {
                // the counters move between the two calls; their names must not
                for (JsonNode nic : node.get("return")) {
                    if (nic.has("statistics")) {
                        ObjectNode statistics = (ObjectNode) nic.get("statistics");
                        fieldNames(statistics).forEach(name -> statistics.put(name, 0));
                    }
                }
            }
            if (what.contains("guest-get-users")) {
                for (JsonNode u : node.get("return")) {
                    ((ObjectNode) u).put("login-time", Math.floor(u.get("login-time").asDouble()));
                }
            }
        }
        return prefix + JSON.writeValueAsString(sorted(node));
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        names.sort(null);
        return names;
    }

    /** Objects with their members in name order, so member order does not count. */
    private static JsonNode sorted(JsonNode node) {
        if (node.isObject()) {
            ObjectNode out = JSON.createObjectNode();
            for (String name : fieldNames(node)) {
                out.set(name, sorted(node.get(name)));
            }
            return out;
        }
        if (node.isArray()) {
            ArrayNode out = JSON.createArrayNode();
            for (Iterator<JsonNode> it = node.elements(); it.hasNext();) {
                out.add(sorted(it.next()));
            }
            return out;
        }
        return node;
    }
}
