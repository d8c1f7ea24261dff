package org.guestagent.commands.password;

import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The system's own tools, which are not our code: openssl acts as the host, Python's crypt checks hashes. */
final class Tools {

    private Tools() {
    }

    /** What a XenAPI host on OpenSSL 1.0.2 or older does: {@code openssl enc -aes-128-cbc -a -A -nosalt -md md5 -pass pass:S}. */
    static String opensslEncrypt(BigInteger sharedSecret, byte[] plain, String... more) throws IOException, InterruptedException {
        List<String> options = new ArrayList<>(List.of("-md", "md5"));
        options.addAll(List.of(more));
        return opensslEncryptAsNova(sharedSecret, plain, options.toArray(String[]::new));
    }

    /**
     * Exactly nova's command, {@code openssl enc -aes-128-cbc -a -A -nosalt -pass pass:S} with no
     * {@code -md}: the key derivation is the installed OpenSSL's default (SHA-256 since 1.1.0).
     */
    static String opensslEncryptAsNova(BigInteger sharedSecret, byte[] plain, String... more) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("openssl", "enc", "-aes-128-cbc", "-a", "-A", "-nosalt",
                "-pass", "pass:" + sharedSecret));
        command.addAll(List.of(more));
        return new String(run(command, plain), StandardCharsets.US_ASCII).strip();
    }

    /** The installed OpenSSL's version text, e.g. "OpenSSL 3.0.19 27 Jan 2026". */
    static String opensslVersion() throws IOException, InterruptedException {
        return new String(run(List.of("openssl", "version"), null), StandardCharsets.US_ASCII).strip();
    }

    static byte[] opensslDecrypt(BigInteger sharedSecret, String base64) throws IOException, InterruptedException {
        return run(List.of("openssl", "enc", "-d", "-aes-128-cbc", "-a", "-A", "-nosalt", "-md", "md5",
                "-pass", "pass:" + sharedSecret), base64.getBytes(StandardCharsets.US_ASCII));
    }

    /** True when Python's crypt (the system libcrypt) accepts the password for the hash. */
    static boolean pythonVerifies(String password, String hash) throws IOException, InterruptedException {
        String out = new String(run(List.of("/usr/bin/python3", "-W", "ignore", "-c",
                "import crypt, sys; print(crypt.crypt(sys.argv[1], sys.argv[2]) == sys.argv[2])", password, hash), null),
                StandardCharsets.UTF_8).strip();
        return out.equals("True");
    }

    /** mkpasswd (whois) with the salt of the given SHA-512 hash. */
    static String mkpasswdSha512(String password, String salt) throws IOException, InterruptedException {
        return new String(run(List.of("mkpasswd", "-m", "sha-512", "-S", salt, password), null), StandardCharsets.UTF_8).strip();
    }

    static byte[] run(List<String> command, byte[] input) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try (OutputStream in = process.getOutputStream()) {
            if (input != null) {
                in.write(input);
            }
        }
        byte[] out = process.getInputStream().readAllBytes();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException(command.get(0) + " did not finish");
        }
        if (process.exitValue() != 0) {
            throw new IOException(command.get(0) + " failed with exit code " + process.exitValue());
        }
        return out;
    }
}
