package org.guestagent.common.jars;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.security.CodeSigner;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * The signed-bundle mode: a jar is accepted when the JDK's jar verification passes for every
 * entry and each entry is signed by a certificate chain that leads to a certificate of the trust
 * store. Used by the launcher for deploy/ and by agentupdate.
 */
public final class SignedJars {
    private final KeyStore trusted;

    private SignedJars(KeyStore trusted) {
        this.trusted = trusted;
    }

    /** Loads the trust store (PKCS12 or JKS, told apart by the JDK). */
    public static SignedJars load(Path store, String password) throws IOException {
        try {
            KeyStore keyStore = KeyStore.getInstance(store.toFile(), password == null ? null : password.toCharArray());
            return new SignedJars(keyStore);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IOException("cannot read the trust store " + store + ": " + e.getMessage(), e);
        }
    }

    /** Null when the jar is signed by a trusted certificate, else why it is not. */
    public String problem(Path jar) {
        try (JarFile file = new JarFile(jar.toFile(), true)) {
            if (file.getManifest() == null) {
                return "it has no manifest";
            }
            byte[] buffer = new byte[8192];
            int signed = 0;
            for (Enumeration<JarEntry> entries = file.entries(); entries.hasMoreElements();) {
                JarEntry entry = entries.nextElement();
                if (entry.isDirectory() || isSignatureFile(entry.getName())) {
                    continue;
                }
                try (InputStream in = file.getInputStream(entry)) {
                    while (in.read(buffer) >= 0) {
                        // reading to the end is what makes JarFile check the entry's digest
                    }
                }
                CodeSigner[] signers = entry.getCodeSigners();
                if (signers == null || !anyTrusted(signers)) {
                    return "'" + entry.getName() + "' is " + (signers == null ? "not signed" : "not signed by a trusted certificate");
                }
                signed++;
            }
            return signed == 0 ? "it holds nothing signed" : null;
        } catch (SecurityException e) {
            return "its signature does not verify: " + e.getMessage();
        } catch (IOException e) {
            return "it cannot be read: " + e.getMessage();
        }
    }

    private static boolean isSignatureFile(String name) {
        String n = name.toUpperCase(Locale.ROOT);
        if (n.equals(JarFile.MANIFEST_NAME)) {
            return true;
        }
        if (!n.startsWith("META-INF/") || n.indexOf('/', "META-INF/".length()) >= 0) {
            return false;
        }
        return n.startsWith("META-INF/SIG-") || n.endsWith(".SF") || n.endsWith(".RSA") || n.endsWith(".DSA") || n.endsWith(".EC");
    }

    /** True when some signer's chain, each certificate checked against the next, reaches a trusted certificate. */
    private boolean anyTrusted(CodeSigner[] signers) {
        for (CodeSigner signer : signers) {
            List<? extends Certificate> chain = signer.getSignerCertPath().getCertificates();
            for (int i = 0; i < chain.size(); i++) {
                try {
                    if (trusted.getCertificateAlias(chain.get(i)) != null) {
                        return true;
                    }
                    if (i + 1 < chain.size()) {
                        chain.get(i).verify(chain.get(i + 1).getPublicKey());
                    }
                } catch (GeneralSecurityException e) {
                    break;
                }
            }
        }
        return false;
    }
}
