package org.guestagent.ops.password.shadow;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/** Python's crypt, which is not our code, checks hashes. */
final class Tools {

    private Tools() {
    }

    static boolean pythonVerifies(String password, String hash) throws IOException, InterruptedException {
        Process process = new ProcessBuilder("/usr/bin/python3", "-W", "ignore", "-c",
                "import crypt, sys; print(crypt.crypt(sys.argv[1], sys.argv[2]) == sys.argv[2])", password, hash)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        process.getOutputStream().close();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException("python3 did not finish");
        }
        return out.equals("True");
    }
}
