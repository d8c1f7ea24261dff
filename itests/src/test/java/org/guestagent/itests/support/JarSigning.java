package org.guestagent.itests.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A key pair made with the running JDK's keytool; jars signed with its jarsigner; a trust store of its certificate. */
public final class JarSigning {
    public static final String PASSWORD = "changeit";
    private final Path keys;
    private final String alias;

    private JarSigning(Path keys, String alias) {
        this.keys = keys;
        this.alias = alias;
    }

    public static JarSigning create(Path folder, String alias) throws Exception {
        Path keys = folder.resolve(alias + "-keys.p12");
        run(tool("keytool"), "-genkeypair", "-alias", alias, "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=" + alias, "-validity", "30", "-keystore", keys.toString(),
                "-storetype", "PKCS12", "-storepass", PASSWORD, "-keypass", PASSWORD);
        return new JarSigning(keys, alias);
    }

    /** Adds this key pair's certificate (not the key) to a PKCS12 trust store, made if missing. */
    public void trustIn(Path trustStore) throws Exception {
        Path cert = keys.resolveSibling(alias + ".cer");
        run(tool("keytool"), "-exportcert", "-alias", alias, "-keystore", keys.toString(), "-storepass", PASSWORD,
                "-file", cert.toString());
        run(tool("keytool"), "-importcert", "-noprompt", "-alias", alias, "-file", cert.toString(),
                "-keystore", trustStore.toString(), "-storetype", "PKCS12", "-storepass", PASSWORD);
    }

    /** Writes a signed copy of the jar to target. */
    public void sign(Path jar, Path target) throws Exception {
        Files.copy(jar, target, StandardCopyOption.REPLACE_EXISTING);
        run(tool("jarsigner"), "-keystore", keys.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD,
                target.toString(), alias);
    }

    private static String tool(String name) {
        return Path.of(System.getProperty("java.home"), "bin", name).toString();
    }

    private static void run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + output);
        }
    }
}
