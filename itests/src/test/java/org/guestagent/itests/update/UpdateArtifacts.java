package org.guestagent.itests.update;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Builds update artifacts for the in-container tests. */
final class UpdateArtifacts {
    static final String OLD_ANSWER = "hello from vendor";
    /** Same length as the old answer, so the class file's constant can be swapped in place. */
    static final String NEW_ANSWER = "hello from newer!";

    private UpdateArtifacts() {
    }

    /**
     * A newer version of the sample command bundle: the same jar with another Bundle-Version and
     * the answer of sample_hello replaced in the compiled class.
     */
    static byte[] newerSample(Path sampleJar, String version) throws IOException {
        return rebuilt(sampleJar, version, true);
    }

    /** The same bundle under another Bundle-Version. */
    static byte[] reversioned(Path jar, String version) throws IOException {
        return rebuilt(jar, version, false);
    }

    private static byte[] rebuilt(Path sampleJar, String version, boolean newAnswer) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JarFile in = new JarFile(sampleJar.toFile())) {
            Manifest manifest = new Manifest(in.getManifest());
            manifest.getMainAttributes().putValue("Bundle-Version", version);
            try (JarOutputStream out = new JarOutputStream(bytes, manifest)) {
                for (Enumeration<JarEntry> e = in.entries(); e.hasMoreElements();) {
                    JarEntry entry = e.nextElement();
                    if (entry.getName().equalsIgnoreCase(JarFile.MANIFEST_NAME) || entry.isDirectory()) {
                        continue;
                    }
                    byte[] content = in.getInputStream(entry).readAllBytes();
                    if (newAnswer && entry.getName().endsWith("SampleCommands.class")) {
                        content = replace(content, OLD_ANSWER.getBytes(StandardCharsets.UTF_8), NEW_ANSWER.getBytes(StandardCharsets.UTF_8));
                    }
                    out.putNextEntry(new ZipEntry(entry.getName()));
                    out.write(content);
                    out.closeEntry();
                }
            }
        }
        return bytes.toByteArray();
    }

    /** A bundle that cannot resolve: it imports a package nobody exports. */
    static byte[] brokenBundle(String name) throws IOException {
        Manifest manifest = new Manifest();
        Attributes main = manifest.getMainAttributes();
        main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        main.putValue("Bundle-ManifestVersion", "2");
        main.putValue("Bundle-SymbolicName", name);
        main.putValue("Bundle-Version", "1.0.0");
        main.putValue("Import-Package", "does.not.exist");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        new JarOutputStream(bytes, manifest).close();
        return bytes.toByteArray();
    }

    /** An update archive: feature.xml listing the jars in order, the jars under bundles/. */
    static byte[] archive(Map<String, byte[]> jars) throws IOException {
        StringBuilder xml = new StringBuilder("<feature name=\"itest\">\n");
        jars.keySet().forEach(name -> xml.append("  <bundle>bundles/").append(name).append("</bundle>\n"));
        xml.append("</feature>\n");
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("feature.xml", xml.toString().getBytes(StandardCharsets.UTF_8));
        jars.forEach((name, jar) -> entries.put("bundles/" + name, jar));
        return zip(entries);
    }

    static byte[] zip(Map<String, byte[]> entries) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                zip.putNextEntry(new ZipEntry(e.getKey()));
                zip.write(e.getValue());
                zip.closeEntry();
            }
        }
        return bytes.toByteArray();
    }

    static String md5(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(data));
    }

    private static byte[] replace(byte[] content, byte[] from, byte[] to) {
        for (int i = 0; i + from.length <= content.length; i++) {
            if (Arrays.equals(content, i, i + from.length, from, 0, from.length)) {
                byte[] copy = content.clone();
                System.arraycopy(to, 0, copy, i, to.length);
                return copy;
            }
        }
        throw new IllegalStateException("the sample's answer was not found in its class file");
    }
}
