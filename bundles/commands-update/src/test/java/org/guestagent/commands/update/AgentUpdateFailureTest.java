package org.guestagent.commands.update;

import static org.guestagent.commands.update.TestArtifacts.md5;
import static org.guestagent.commands.update.TestArtifacts.sha256;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import org.guestagent.api.command.CommandArgument;
import org.guestagent.api.command.CommandException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** Every refused update is a 500, installs nothing and leaves no temporary file. */
class AgentUpdateFailureTest {
    private static final long MAX_SIZE = 4096;

    @TempDir
    Path scratch;
    UpdateFixture fixture;
    int bundlesBefore;
    byte[] jar;

    @BeforeEach
    void start() throws Exception {
        fixture = new UpdateFixture(scratch, MAX_SIZE);
        bundlesBefore = fixture.bundleCount();
        jar = TestArtifacts.bundle("test.plain", "1.0.0");
    }

    @AfterEach
    void stop() throws Exception {
        fixture.close();
    }

    private String refused(Executable call) throws Exception {
        CommandException e = assertThrows(CommandException.class, call);
        assertEquals(org.guestagent.api.command.CommandResult.Status.FAILED, e.status());
        assertEquals(bundlesBefore, fixture.bundleCount(), "nothing installed");
        assertTrue(fixture.tempIsEmpty(), "temporary folder left behind");
        assertFalse(Files.exists(fixture.state(UpdateHistory.HISTORY)), "nothing recorded");
        return e.getMessage();
    }

    @Test
    void wrongMd5NamesBothSums() throws Exception {
        String url = fixture.serve("/a.jar", jar);
        String wrong = "00112233445566778899aabbccddeeff";
        String message = refused(() -> fixture.update(url, wrong));
        assertTrue(message.contains("expected " + wrong) && message.contains("got " + md5(jar)), message);
    }

    @Test
    void wrongSha256NamesBothSums() throws Exception {
        String url = fixture.serve("/a.jar", jar);
        String wrong = "ab".repeat(32);
        String message = refused(() -> fixture.manager.update(UpdateRequest.parse(CommandArgument.of(
                Map.of("url", url, "md5sum", md5(jar), "sha256", wrong))), "r"));
        assertTrue(message.contains("SHA-256 mismatch") && message.contains(wrong) && message.contains(sha256(jar)), message);
    }

    @Test
    void unreachableUrl() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        String message = refused(() -> fixture.update("http://127.0.0.1:" + closedPort + "/a.jar", md5(jar)));
        assertTrue(message.contains("connection refused"), message);
    }

    @Test
    void notFound() throws Exception {
        String url = fixture.serve("/a.jar", jar).replace("/a.jar", "/missing.jar");
        String message = refused(() -> fixture.update(url, md5(jar)));
        assertTrue(message.contains("HTTP 404"), message);
    }

    @Test
    void largerThanTheCap() throws Exception {
        byte[] big = new byte[(int) MAX_SIZE + 1];
        String url = fixture.serve("/big.jar", big);
        String message = refused(() -> fixture.update(url, md5(big)));
        assertTrue(message.contains("larger than the limit"), message);
    }

    @Test
    void fileUrlFromTheHostIsRefusedBeforeReading() throws Exception {
        Path file = Files.write(scratch.resolve("a.jar"), jar);
        String message = refused(() -> fixture.update(file.toUri().toString(), md5(jar)));
        assertTrue(message.contains("only http or https"), message);
        assertEquals(0, fixture.served.size());
    }

    @Test
    void archiveWithPathTraversalIsRefusedBeforeUnpacking() throws Exception {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put(UpdateArchive.DESCRIPTOR, "<feature><bundle>a.jar</bundle></feature>".getBytes());
        entries.put("a.jar", jar);
        entries.put("../../escaped.txt", "x".getBytes());
        byte[] zip = TestArtifacts.zip(entries);
        String url = fixture.serve("/update.zip", zip);
        String message = refused(() -> fixture.update(url, md5(zip)));
        assertTrue(message.contains("../../escaped.txt"), message);
        assertFalse(Files.exists(fixture.temp.getParent().resolve("escaped.txt")));
    }

    @Test
    void archiveWithAbsoluteEntryIsRefused() throws Exception {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put(UpdateArchive.DESCRIPTOR, "<feature><bundle>/tmp/a.jar</bundle></feature>".getBytes());
        entries.put("/tmp/a.jar", jar);
        byte[] zip = TestArtifacts.zip(entries);
        String url = fixture.serve("/update.zip", zip);
        refused(() -> fixture.update(url, md5(zip)));
    }

    @Test
    void tarballWithPathTraversalIsRefused() throws Exception {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("installer.sh", "echo hi\n".getBytes());
        files.put("../evil.sh", "echo evil\n".getBytes());
        byte[] tgz = TestArtifacts.tarGz(files);
        String url = fixture.serve("/update.tgz", tgz);
        refused(() -> fixture.update(url, md5(tgz)));
        assertTrue(fixture.actions.commands.isEmpty(), "installer must not run");
    }

    @Test
    void neitherBundleNorArchive() throws Exception {
        byte[] text = "just text".getBytes();
        String url = fixture.serve("/a.txt", text);
        refused(() -> fixture.update(url, md5(text)));
    }
}
