package org.guestagent.itests.robustness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.guestagent.itests.support.AgentBundles;
import org.guestagent.itests.support.Await;
import org.guestagent.itests.support.Json;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The boot race made certain: a vendor bundle in deploy/ (itests/sample-vendor) with a network
 * backend and an override of the built-in kmsactivate is held back at its start (its components'
 * activation waits while a hold file exists in the guest), so the built-in commands are there and
 * the vendor's are not (the race of a real boot, held open). A request for a command other than
 * version that arrives meanwhile must wait
 * for the end of the boot and then be answered as by a fully started agent: resetnetwork by the
 * vendor's backend (not 500 "Couldn't figure out my OS"), kmsactivate by the vendor's version (not
 * the built-in). version is answered at once, before the boot is over.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class BootRaceTest {
    private static final Duration ANSWER_LIMIT = Duration.ofSeconds(60);
    private static final String MAC_NODE = "deadbeef0001";
    private static final String NETWORK = "{\"label\": \"public\", \"mac\": \"DE:AD:BE:EF:00:01\", \"ips\": [{\"ip\": \"192.0.2.42\","
            + " \"netmask\": \"255.255.255.0\", \"enabled\": \"1\", \"gateway\": \"192.0.2.1\"}], \"dns\": [\"192.0.2.2\"]}";

    private AgentOnHost run;
    private HostSide host;
    private AgentRun agent;

    @BeforeEach
    void prepare() throws Exception {
        run = AgentOnHost.prepare("boot-race");
        host = run.host();
        agent = run.agent();
        Files.copy(AgentBundles.jar("itests/sample-vendor").toPath(), agent.home().resolve("deploy/sample-vendor.jar"));
        writeGuest("/etc/os-release", "ID=lateos\nVERSION_ID=1\n");
        writeGuest("/sys/class/net/eth0/address", "de:ad:be:ef:00:01\n");
        writeGuest("/var/lib/sample-vendor/hold", "held by " + getClass().getSimpleName() + "\n");
        String home = "/local/domain/" + HostSide.GUEST;
        host.client().write(home + "/vm-data/networking/" + MAC_NODE, NETWORK);
    }

    @AfterEach
    void stop() throws Exception {
        if (run != null) {
            run.close();
        }
    }

    @Test
    void resetnetworkDuringTheBootIsAnsweredByTheBackendThatStartsLast() throws Exception {
        run.startAgent();
        awaitVendorHeldBack();
        assertVersionAnsweredBeforeTheBootIsOver();
        String reset = host.send("b", Json.request("resetnetwork", "\"\""));
        awaitHeldOrAnswered("resetnetwork", reset);
        assertTrue(host.answersOf(reset).isEmpty(),
                () -> "resetnetwork answered while its backend was held back: " + host.answersOf(reset));

        release();
        assertTrue(host.awaitAnswered(List.of(reset), ANSWER_LIMIT), () -> "resetnetwork not answered\n" + agent.diagnostics());
        assertEquals(Json.answer("0", ""), only(reset), agent::diagnostics);
        assertEquals("# written by the lateos backend\neth0 192.0.2.42/24\n", readGuest("/etc/lateos/net.conf"));
    }

    @Test
    void anOverriddenCommandDuringTheBootIsAnsweredByTheVendorNeverByTheBuiltIn() throws Exception {
        run.startAgent();
        awaitVendorHeldBack();
        assertVersionAnsweredBeforeTheBootIsOver();
        String kms = host.send("b", Json.request("kmsactivate", "{\"activation_key\": \"not-a-real-key\"}"));
        awaitHeldOrAnswered("kmsactivate", kms);
        assertTrue(host.answersOf(kms).isEmpty(), () -> "kmsactivate answered before the vendor's override was up: "
                + host.answersOf(kms));

        release();
        assertTrue(host.awaitAnswered(List.of(kms), ANSWER_LIMIT), () -> "kmsactivate not answered\n" + agent.diagnostics());
        assertEquals(Json.answer("0", "activated by the vendor"), only(kms), agent::diagnostics);
    }

    /**
     * The vendor bundle starts after the built-in command bundles (deploy/ bundles have higher ids at
     * the same start level, or FileInstall starts them later); once it says it is held back, the
     * built-in resetnetwork and kmsactivate are there and the vendor's backend and override are not.
     */
    private void awaitVendorHeldBack() throws InterruptedException {
        Await.until("the vendor bundle is held back", ANSWER_LIMIT, () -> log().contains("sample-vendor:"));
    }

    /** version needs nothing that starts late: it is answered while the vendor bundle is still held back. */
    private void assertVersionAnsweredBeforeTheBootIsOver() throws Exception {
        String version = host.send("a", Json.request("version", "\"agent\""));
        assertTrue(host.awaitAnswered(List.of(version), ANSWER_LIMIT), () -> "version not answered\n" + agent.diagnostics());
        assertEquals(Json.answer("0", "0.1.0"), only(version));
        assertFalse(log().contains("guest-agent up"), () -> "the boot was over before the vendor was released:\n"
                + agent.diagnostics());
    }

    /** Waits until the agent holds the request (says so in its log), or has answered it (the failure to show). */
    private void awaitHeldOrAnswered(String command, String id) throws InterruptedException {
        Await.until(command + " held or answered", ANSWER_LIMIT,
                () -> log().contains("'" + command + "' waits for") || !host.answersOf(id).isEmpty());
    }

    private void release() throws IOException {
        Files.delete(agent.root().resolve("var/lib/sample-vendor/hold"));
    }

    private String log() {
        try {
            return Files.exists(agent.logFile()) ? Files.readString(agent.logFile()) : "";
        } catch (IOException e) {
            return "";
        }
    }

    private void writeGuest(String guestPath, String content) throws IOException {
        Path path = agent.root().resolve(guestPath.substring(1));
        Files.createDirectories(path.getParent());
        Files.writeString(path, content);
    }

    private String readGuest(String guestPath) throws IOException {
        return Files.readString(agent.root().resolve(guestPath.substring(1)));
    }

    private String only(String id) {
        List<String> answers = host.answersOf(id);
        assertEquals(1, answers.size(), () -> id + " answered " + answers);
        return answers.get(0);
    }
}
