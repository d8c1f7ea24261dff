package org.guestagent.platform;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the system's own crypt tools, which are not our code, to check our hashes against. */
final class ExternalTools {

    static final String PYTHON = "/usr/bin/python3";

    private ExternalTools() {
    }

    /** Python's crypt module (the system libcrypt underneath) with the whole setting. */
    static String pythonCrypt(String password, String setting) throws IOException, InterruptedException {
        return run(List.of(PYTHON, "-W", "ignore", "-c",
                "import crypt, sys; print(crypt.crypt(sys.argv[1], sys.argv[2]))", password, setting));
    }

    /** mkpasswd from the whois package. */
    static String mkpasswd(String method, String salt, String password, String... more) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("mkpasswd", "-m", method, "-S", salt));
        command.addAll(List.of(more));
        command.add(password);
        return run(command);
    }

    static String run(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        byte[] out = process.getInputStream().readAllBytes();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException(command.get(0) + " did not finish");
        }
        String text = new String(out, StandardCharsets.UTF_8).strip();
        if (process.exitValue() != 0) {
            throw new IOException(command.get(0) + " failed: " + text);
        }
        return text;
    }
}
