package org.guestagent.commands.update;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A key pair made with the running JDK's keytool, and jars signed with its jarsigner. */
final class TestSigner {
    static final String PASSWORD = "changeit";
    private final Path keys;
    private final String alias;

    private TestSigner(Path keys, String alias) {
        this.keys = keys;
        this.alias = alias;
    }

    /** A new self-signed key pair in a PKCS12 key store under folder. */
    static TestSigner create(Path folder, String alias) throws Exception {
        Path keys = folder.resolve(alias + "-keys.p12");
        run(tool("keytool"), "-genkeypair", "-alias", alias, "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=" + alias, "-validity", "30", "-keystore", keys.toString(),
                "-storetype", "PKCS12", "-storepass", PASSWORD, "-keypass", PASSWORD);
        return new TestSigner(keys, alias);
    }

    /** Adds this signer's certificate (not its key) to the trust store, creating it if need be. */
    void trustIn(Path trustStore) throws Exception {
        Path cert = keys.resolveSibling(alias + ".cer");
        run(tool("keytool"), "-exportcert", "-alias", alias, "-keystore", keys.toString(), "-storepass", PASSWORD,
                "-file", cert.toString());
        run(tool("keytool"), "-importcert", "-noprompt", "-alias", alias, "-file", cert.toString(),
                "-keystore", trustStore.toString(), "-storetype", "PKCS12", "-storepass", PASSWORD);
    }

    /** The jar's bytes signed with this key pair. */
    byte[] sign(byte[] jar, Path folder) throws Exception {
        Path file = Files.createTempFile(folder, "to-sign", ".jar");
        Files.write(file, jar);
        run(tool("jarsigner"), "-keystore", keys.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD,
                file.toString(), alias);
        return Files.readAllBytes(file);
    }

    private static String tool(String name) {
        return Path.of(System.getProperty("java.home"), "bin", name).toString();
    }

    private static void run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(new ArrayList<>(List.of(command))).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + output);
        }
    }
}
