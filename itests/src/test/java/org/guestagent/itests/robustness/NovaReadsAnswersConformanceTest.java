package org.guestagent.itests.robustness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.guestagent.itests.support.Json;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The answers as the real host reads them: the dom0 plugin runs Debian's {@code xenstore-read}
 * (which doubles backslashes and prints other bytes as \xNN), and nova parses what it prints
 * with Python's {@code json.loads}. For answers holding quotes, backslashes, non-ASCII paths and
 * the error texts of every command bundle and of the parser, every answer must parse, with the
 * right return code and the intended message (its escapes, now literal, decoding to the text).
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class NovaReadsAnswersConformanceTest {
    private static final Path XENSTORE_READ = Path.of("/usr/bin/xenstore-read");
    private static final Path PYTHON = Path.of("/usr/bin/python3");
    private static final Duration ANSWER_LIMIT = Duration.ofSeconds(60);
    /** What nova does with the plugin's text, one answer per line; a failure is reported, not raised. */
    private static final String NOVA = String.join("\n",
            "import json, sys",
            "for line in sys.stdin.read().splitlines():",
            "    try:",
            "        answer = json.loads(line)",
            "        print(json.dumps({'returncode': answer['returncode'], 'message': answer['message']}))",
            "    except Exception as e:",
            "        print(json.dumps({'error': type(e).__name__ + ': ' + str(e)}))");

    private final ObjectMapper json = new ObjectMapper();
    private AgentOnHost run;

    @AfterEach
    void stop() throws Exception {
        if (run != null) {
            run.close();
        }
    }

    /** One request, and what the host should learn from its answer (null: the agent's own text, checked to parse). */
    private record Case(String what, String body, String code, String message) {
    }

    @Test
    void novaParsesEveryAnswerReadWithXenstoreRead() throws Exception {
        assumeTrue(Files.isExecutable(XENSTORE_READ), "xenstore-read is missing: install the Debian package xenstore-utils");
        assumeTrue(Files.isExecutable(PYTHON), "python3 is missing: install the Debian package python3");
        run = AgentOnHost.prepare("nova-reads");
        HostSide host = run.host();
        Path root = run.agent().root();
        Files.createDirectories(root.resolve("café"));
        Files.createDirectories(root.resolve("q\"b\\s"));
        run.startAgent();
        String version = host.call(Json.request("version", "\"agent\""), ANSWER_LIMIT);

        List<Case> cases = new ArrayList<>(List.of(
                new Case("version", Json.request("version", "\"agent\""), "0", json.readTree(version).path("message").asText()),
                new Case("empty request", "", "500", "Internal error with request"),
                new Case("not JSON", "{not json", "500", "Request is malformed"),
                new Case("no name", "{\"value\": 1}", "500", "Request is missing 'name' key"),
                new Case("unknown, quoted", "{\"name\": \"no\\\"such\\\\cmd é\", \"value\": \"\"}", "404",
                        "No such agent command 'no\"such\\cmd é'"),
                new Case("password first", Json.request("password", "\"AAAA\""), "500", "Password without key exchange"),
                new Case("bad keyinit", Json.request("keyinit", "\"a \\\"key\\\"\""), "500", null),
                new Case("file_inject into a folder", fileInject("/café", "x"), "500", "The path /café is a folder, not a file"),
                new Case("file_inject, quote and backslash", fileInject("/q\"b\\s", "x"), "500", "The path /q\"b\\s is a folder, not a file"),
                new Case("file_inject, no path", Json.request("file_inject", "{}"), "500", "file_inject data is missing the 'b64_path' key"),
                new Case("file_inject, path not base64", Json.request("file_inject", "{\"b64_path\": \"@\", \"b64_file\": \"\"}"), "500", null),
                new Case("injectfile, no comma", Json.request("injectfile", quoted(b64("no comma"))), "500",
                        "The injectfile data has no comma between the path and the contents"),
                new Case("injectfile into a folder", Json.request("injectfile", quoted(b64("/café,x"))), "500",
                        "The path /café is a folder, not a file"),
                new Case("resetnetwork on an unknown OS", Json.request("resetnetwork", "\"\""), "500", "Couldn't figure out my OS"),
                new Case("agentupdate, bad argument", Json.request("agentupdate", "\"not \\\"a\\\" url\""), "500", null),
                new Case("agentupdate, unreachable", Json.request("agentupdate", "\"http://127.0.0.1:9/é.tgz,d41d8cd98f00b204e9800998ecf8427e\""),
                        "500", null),
                new Case("kmsactivate, nothing", Json.request("kmsactivate", "{}"), "500", null)));
        // every character of Latin-1, control characters included, and some beyond, through the
        // 404 answer that names the command it was sent
        StringBuilder everything = new StringBuilder();
        for (int c = 1; c <= 0xff; c++) {
            everything.append((char) c);
        }
        everything.append("Ā€中😀\uFFFD");
        for (String name : List.of(everything.toString(), "\\", "\"", "\\\"", "\\u0022", "\\xc3\\xa9")) {
            cases.add(new Case("unknown " + name.length() + " chars", "{\"name\": \"" + escaped(name) + "\", \"value\": \"\"}",
                    "404", "No such agent command '" + name + "'"));
        }

        Map<String, Case> sent = new LinkedHashMap<>();
        for (Case c : cases) {
            sent.put(host.send("nova", c.body()), c);
        }
        assertTrue(host.awaitAnswered(sent.keySet(), ANSWER_LIMIT), run.agent().diagnostics());

        // resetnetwork on a Debian guest: without network data, then with a hostname quoting host data
        Files.createDirectories(root.resolve("etc"));
        Files.writeString(root.resolve("etc/os-release"), "ID=debian\nVERSION_ID=\"12\"\n");
        Case noData = new Case("resetnetwork without data", Json.request("resetnetwork", "\"\""), "500",
                "There is no network data in vm-data/networking");
        String noDataId = host.send("nova", noData.body());
        assertTrue(host.awaitAnswered(List.of(noDataId), ANSWER_LIMIT));
        sent.put(noDataId, noData);
        host.client().write(HostSide.DATA.replace("/data", "/vm-data/hostname"), "bad\"host\\é".getBytes(StandardCharsets.UTF_8));
        Case hostname = new Case("resetnetwork, bad hostname", Json.request("resetnetwork", "\"\""), "500",
                "The hostname 'bad\"host\\é' in vm-data/hostname is not a valid hostname");
        String hostnameId = host.send("nova", hostname.body());
        assertTrue(host.awaitAnswered(List.of(hostnameId), ANSWER_LIMIT));
        sent.put(hostnameId, hostname);

        // read each answer as the dom0 plugin does, then parse all of it as nova does
        List<String> printed = new ArrayList<>();
        for (String id : sent.keySet()) {
            String raw = host.answersOf(id).get(0);
            for (char ch : raw.toCharArray()) {
                assertTrue(ch >= 0x20 && ch < 0x7f, "the answer is printable ASCII: " + raw);
            }
            String read = xenstoreRead(HostSide.ANSWERS + "/" + id);
            assertEquals(raw.replace("\\", "\\\\"), read, "xenstore-read doubles the backslashes, and changes nothing else");
            printed.add(read);
        }
        List<JsonNode> seen = novaParses(printed);
        int n = 0;
        for (Map.Entry<String, Case> e : sent.entrySet()) {
            Case c = e.getValue();
            JsonNode nova = seen.get(n++);
            assertFalse(nova.has("error"), c.what() + ": nova cannot parse " + host.answersOf(e.getKey()).get(0) + ": " + nova);
            assertEquals(c.code(), nova.path("returncode").asText(), c.what());
            String message = nova.path("message").asText();
            // nova sees the escapes literally; decoded once more they are the agent's message
            String intended = json.readTree(host.answersOf(e.getKey()).get(0)).path("message").asText();
            assertEquals(intended, json.readTree("\"" + message + "\"").asText(), c.what() + ": " + message);
            if (c.message() != null) {
                assertEquals(c.message(), intended, c.what());
            } else {
                assertFalse(intended.isBlank(), c.what());
            }
            if (c.message() != null && c.message().chars().allMatch(ch -> ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\')) {
                assertEquals(c.message(), message, c.what() + ": a plain message reaches nova as it is");
            }
        }
    }

    private String xenstoreRead(String path) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(XENSTORE_READ.toString(), path);
        pb.environment().put("XENSTORED_PATH", run.host().dom0Socket().toString()); // the plugin runs in dom0
        Process p = pb.redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        assertTrue(p.waitFor(20, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), "xenstore-read " + path + ": " + out);
        return out.strip(); // the plugin strips what it reads
    }

    private List<JsonNode> novaParses(List<String> printed) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(PYTHON.toString(), "-c", NOVA).start();
        p.getOutputStream().write(String.join("\n", printed).getBytes(StandardCharsets.ISO_8859_1));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(20, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), err);
        List<JsonNode> seen = new ArrayList<>();
        for (String line : out.split("\n")) {
            seen.add(json.readTree(line));
        }
        assertEquals(printed.size(), seen.size(), out);
        return seen;
    }

    private static String fileInject(String path, String contents) {
        return Json.request("file_inject", "{\"b64_path\": " + quoted(b64(path)) + ", \"b64_file\": " + quoted(b64(contents)) + "}");
    }

    private static String b64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    private static String quoted(String text) {
        return "\"" + text + "\"";
    }

    /** Text as a JSON string body, every character outside printable ASCII (and quote, backslash) escaped. */
    private static String escaped(String text) {
        StringBuilder out = new StringBuilder();
        for (char c : text.toCharArray()) {
            out.append(c < 0x20 || c >= 0x7f || c == '"' || c == '\\' ? String.format("\\u%04x", (int) c) : String.valueOf(c));
        }
        return out.toString();
    }
}
