package org.guestagent.hostclient;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.guestagent.xenstore.XenStoreClient;
import org.guestagent.xenstore.XenStoreTransport;

/**
 * {@code guest-agent-client}: plays the XenAPI host against a guest's agent over XenStore.
 * Prints {@code <returncode> <message>}; exits 0 on success, 1 on an error answer, 2 on a
 * timeout, 3 when XenStore cannot be reached, 4 when no agent can answer in that domain, 64 on a
 * usage error.
 */
public final class HostClient {

    static final int EXIT_ERROR_ANSWER = 1;
    static final int EXIT_TIMEOUT = 2;
    static final int EXIT_UNREACHABLE = 3;
    static final int EXIT_NO_AGENT = 4;
    static final int EXIT_USAGE = 64;

    private static final String USAGE = String.join("\n",
            "usage: guest-agent-client [--socket PATH] [--domid N] [--timeout SECONDS] [--kdf md5|sha256] COMMAND [ARGS]",
            "commands:",
            "  version                         the agent's version",
            "  features                        the agent's commands",
            "  password [PASSWORD]             set root's password (keyinit + password); without",
            "                                  PASSWORD, reads it from the first line of stdin",
            "  injectfile GUEST_PATH LOCAL_FILE  write a file in the guest (file_inject or injectfile)",
            "  resetnetwork [--networking FILE]  reconfigure networking; FILE (JSON) is first loaded into",
            "                                  vm-data: {\"hostname\": ..., \"interfaces\": [{\"mac\": ...}, ...]}",
            "  agentupdate URL MD5             update the agent from URL",
            "  raw NAME VALUE-JSON             send any request",
            "options:",
            "  --socket PATH   xenstored socket (default: $XENSTORED_PATH, $XENSTORED_RUNDIR/socket,",
            "                  /var/run/xenstored/socket)",
            "  --domid N       the guest's domain id (default 1, the simulator's guest)",
            "  --timeout S     seconds to wait for the answer (default 30; resetnetwork 60)",
            "  --kdf K         password key derivation of the host's OpenSSL: sha256 (1.1.0 and later,",
            "                  what a current nova sends; the default) or md5 (1.0.2 and older)",
            "  --qga SOCKET    talk the QEMU guest agent protocol on a unix socket instead (the agent's",
            "                  unix-listen mode, qemu-ga's, or a VM's channel); commands then are:",
            "                    EXECUTE [ARGUMENTS-JSON]   any command, e.g. guest-ping, or",
            "                                guest-sync '{\"id\": 5}'; prints the return value as JSON",
            "                    set-password USER PASS     guest-set-user-password (plain)",
            "exit status: 0 success, 1 error answer, 2 timeout, 3 XenStore unreachable,",
            "             4 no agent in that domain, 64 usage error");

    private final PrintStream out;
    private final PrintStream err;
    private final Map<String, String> env;
    private final ObjectMapper json = new ObjectMapper();
    private final JsonNodeFactory nodes = JsonNodeFactory.instance;
    /** How the password is encrypted; SHA-256 is what nova on OpenSSL 1.1.0 or later sends. */
    private KeyExchange.Kdf kdf = KeyExchange.Kdf.SHA256;

    HostClient(PrintStream out, PrintStream err, Map<String, String> env) {
        this.out = out;
        this.err = err;
        this.env = env;
    }

    public static void main(String[] args) {
        System.exit(new HostClient(System.out, System.err, System.getenv()).run(args));
    }

    /** Runs one command line and returns the exit status. */
    int run(String[] args) {
        Path socket = XenStoreTransport.defaultSocketPath(env);
        Path qga = null;
        int domid = 1;
        Duration timeout = null;
        List<String> rest = new ArrayList<>();
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--socket" -> socket = Path.of(value(args, ++i));
                    case "--domid" -> domid = number(args[i], value(args, ++i));
                    case "--timeout" -> timeout = Duration.ofSeconds(number(args[i], value(args, ++i)));
                    case "--kdf" -> kdf = KeyExchange.Kdf.of(value(args, ++i));
                    case "--qga" -> qga = Path.of(value(args, ++i));
                    case "-h", "--help" -> {
                        out.println(USAGE);
                        return 0;
                    }
                    default -> {
                        // before the command, a dash starts an option; after it, the command's own
                        // arguments may start with one (resetnetwork --networking, a password)
                        if (rest.isEmpty() && args[i].startsWith("-") && args[i].length() > 1) {
                            return usage("unknown option '" + args[i] + "'");
                        }
                        rest.add(args[i]);
                    }
                }
            }
        } catch (IllegalArgumentException e) {
            return usage(e.getMessage());
        }
        if (rest.isEmpty()) {
            return usage("no command given");
        }
        if (qga != null) {
            return qga(qga, rest, timeout != null ? timeout : Duration.ofSeconds(30));
        }
        try (XenStoreClient xenstore = XenStoreClient.open(XenStoreTransport.unixSocket(socket))) {
            AgentCaller caller = new AgentCaller(xenstore, domid);
            caller.checkDomain(socket.toString());
            return command(caller, xenstore, rest, timeout);
        } catch (UsageException e) {
            return usage(e.getMessage());
        } catch (AgentCaller.NoAgentException e) {
            err.println("guest-agent-client: " + e.getMessage());
            return EXIT_NO_AGENT;
        } catch (AgentCaller.TimeoutException e) {
            err.println("guest-agent-client: " + e.getMessage());
            return EXIT_TIMEOUT;
        } catch (IOException e) {
            err.println("guest-agent-client: " + e.getMessage());
            return EXIT_UNREACHABLE;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return EXIT_TIMEOUT;
        }
    }

    private int command(AgentCaller caller, XenStoreClient xenstore, List<String> args, Duration timeout)
            throws IOException, InterruptedException {
        String command = args.get(0);
        List<String> params = args.subList(1, args.size());
        Duration wait = timeout != null ? timeout : Duration.ofSeconds(command.equals("resetnetwork") ? 60 : 30);
        switch (command) {
            case "version":
                expect(params, 0, "version");
                return print(caller.call("version", nodes.textNode("agent"), wait));
            case "features":
                expect(params, 0, "features");
                return print(caller.call("features", nodes.textNode(""), wait));
            case "password":
                return password(caller, params, wait);
            case "injectfile":
                return injectFile(caller, params, wait);
            case "resetnetwork":
                if (!params.isEmpty()) {
                    if (params.size() != 2 || !params.get(0).equals("--networking")) {
                        throw new UsageException("resetnetwork takes only --networking FILE");
                    }
                    loadNetworking(xenstore, caller.home(), Path.of(params.get(1)));
                }
                return print(caller.call("resetnetwork", nodes.textNode(""), wait));
            case "agentupdate":
                expect(params, 2, "agentupdate URL MD5");
                return print(caller.call("agentupdate", nodes.textNode(params.get(0) + "," + params.get(1)), wait));
            case "raw": {
                expect(params, 2, "raw NAME VALUE-JSON");
                JsonNode value;
                try {
                    value = json.readTree(params.get(1));
                } catch (IOException e) {
                    throw new UsageException("VALUE-JSON is not JSON: " + params.get(1));
                }
                if (value == null || value.isMissingNode()) {
                    throw new UsageException("VALUE-JSON is empty");
                }
                return print(caller.call(params.get(0), value, wait));
            }
            default:
                throw new UsageException("unknown command '" + command + "'");
        }
    }

    private int password(AgentCaller caller, List<String> params, Duration wait) throws IOException, InterruptedException {
        if (params.size() > 1) {
            throw new UsageException("password takes at most one argument");
        }
        String password = params.isEmpty() ? readPasswordFromStdin() : params.get(0);
        KeyExchange keys = new KeyExchange(new SecureRandom());
        AgentCaller.Answer keyinit = caller.call("keyinit", nodes.textNode(keys.publicKey()), wait);
        if (!"D0".equals(keyinit.returncode())) {
            err.println("keyinit failed");
            return print(keyinit);
        }
        String encrypted;
        try {
            encrypted = keys.encrypt(password, keyinit.message(), kdf);
        } catch (GeneralSecurityException | NumberFormatException e) {
            err.println("guest-agent-client: the agent's keyinit answer is not a usable key");
            return EXIT_ERROR_ANSWER;
        }
        return print(caller.call("password", nodes.textNode(encrypted), wait));
    }

    private String readPasswordFromStdin() throws IOException {
        String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        if (line == null || line.isEmpty()) {
            throw new UsageException("no password given (neither as argument nor on stdin)");
        }
        return line;
    }

    /** Like the host: asks for features, then uses file_inject when offered, else injectfile. */
    private int injectFile(AgentCaller caller, List<String> params, Duration wait) throws IOException, InterruptedException {
        expect(params, 2, "injectfile GUEST_PATH LOCAL_FILE");
        String guestPath = params.get(0);
        byte[] contents = Files.readAllBytes(Path.of(params.get(1)));
        AgentCaller.Answer features = caller.call("features", nodes.textNode(""), wait);
        if (!features.succeeded()) {
            err.println("features failed");
            return print(features);
        }
        Base64.Encoder b64 = Base64.getEncoder();
        if (List.of(features.message().split(",")).contains("file_inject")) {
            ObjectNode value = nodes.objectNode();
            value.put("b64_path", b64.encodeToString(guestPath.getBytes(StandardCharsets.UTF_8)));
            value.put("b64_file", b64.encodeToString(contents));
            return print(caller.call("file_inject", value, wait));
        }
        byte[] path = (guestPath + ",").getBytes(StandardCharsets.UTF_8);
        byte[] joined = new byte[path.length + contents.length];
        System.arraycopy(path, 0, joined, 0, path.length);
        System.arraycopy(contents, 0, joined, path.length, contents.length);
        return print(caller.call("injectfile", nodes.textNode(b64.encodeToString(joined)), wait));
    }

    /**
     * Loads a networking file into vm-data as the host does: vm-data/hostname, and one node per
     * interface under vm-data/networking named by its MAC without colons (replacing what was there).
     * The file is {"hostname": ..., "interfaces": [...]} or just the list of interfaces.
     */
    private void loadNetworking(XenStoreClient xenstore, String home, Path file) throws IOException {
        JsonNode root;
        try {
            root = json.readTree(file.toFile());
        } catch (IOException e) {
            throw new UsageException("cannot read networking file " + file + ": " + e.getMessage());
        }
        JsonNode interfaces = root.isArray() ? root : root.path("interfaces");
        if (!interfaces.isArray()) {
            throw new UsageException("networking file " + file + " has no \"interfaces\" list");
        }
        for (JsonNode nic : interfaces) {
            if (!nic.path("mac").isTextual()) {
                throw new UsageException("an interface in " + file + " has no \"mac\"");
            }
        }
        xenstore.inTransaction(tx -> {
            // xenstored refuses to remove a node whose parent is missing too, as on a fresh guest
            if (tx.readIfExists(home + "/vm-data/networking").isPresent()) {
                tx.rm(home + "/vm-data/networking");
            }
            if (root.path("hostname").isTextual()) {
                tx.write(home + "/vm-data/hostname", root.path("hostname").asText());
            }
            for (JsonNode nic : interfaces) {
                String node = nic.path("mac").asText().replace(":", "");
                tx.write(home + "/vm-data/networking/" + node, json.writeValueAsBytes(nic));
            }
            return null;
        });
    }

    private int print(AgentCaller.Answer answer) {
        out.println(answer.returncode() + " " + answer.message());
        return answer.succeeded() ? 0 : EXIT_ERROR_ANSWER;
    }

    /** One QGA command: prints the return value as JSON, or the error's class and text. */
    private int qga(Path socket, List<String> args, Duration timeout) {
        String execute = args.get(0);
        JsonNode arguments;
        try {
            if (execute.equals("set-password")) {
                if (args.size() != 3) {
                    return usage("set-password takes USER PASS");
                }
                ObjectNode object = nodes.objectNode();
                object.put("username", args.get(1));
                object.put("password", java.util.Base64.getEncoder().encodeToString(args.get(2).getBytes(StandardCharsets.UTF_8)));
                object.put("crypted", false);
                execute = "guest-set-user-password";
                arguments = object;
            } else if (args.size() == 1) {
                arguments = null;
            } else if (args.size() == 2) {
                arguments = json.readTree(args.get(1));
                if (arguments == null || !arguments.isObject()) {
                    return usage("ARGUMENTS-JSON must be a JSON object: " + args.get(1));
                }
            } else {
                return usage("expected: EXECUTE [ARGUMENTS-JSON]");
            }
        } catch (IOException e) {
            return usage("ARGUMENTS-JSON is not JSON: " + args.get(1));
        }
        try (QgaCaller caller = new QgaCaller(socket)) {
            JsonNode answer = caller.call(execute, arguments, timeout);
            if (answer.has("return")) {
                out.println(json.writeValueAsString(answer.get("return")));
                return 0;
            }
            JsonNode error = answer.path("error");
            out.println(error.path("class").asText() + " " + error.path("desc").asText());
            return EXIT_ERROR_ANSWER;
        } catch (QgaCaller.TimeoutException e) {
            err.println("guest-agent-client: " + e.getMessage());
            return EXIT_TIMEOUT;
        } catch (IOException e) {
            err.println("guest-agent-client: " + socket + ": " + e.getMessage());
            return EXIT_UNREACHABLE;
        }
    }

    /** One line: what is wrong, and where the usage is. */
    private int usage(String problem) {
        err.println("guest-agent-client: " + problem + " (see guest-agent-client --help)");
        return EXIT_USAGE;
    }

    private static int number(String option, String value) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " needs a number, not '" + value + "'");
        }
    }

    private static void expect(List<String> params, int count, String form) {
        if (params.size() != count) {
            throw new UsageException("expected: " + form);
        }
    }

    private static String value(String[] args, int i) {
        if (i >= args.length) {
            throw new IllegalArgumentException(args[i - 1] + " needs a value");
        }
        return args[i];
    }

    /** A command line that does not make sense. */
    static final class UsageException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }
}
