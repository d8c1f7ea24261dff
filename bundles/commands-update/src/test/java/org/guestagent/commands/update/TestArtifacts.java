package org.guestagent.commands.update;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Builds the artifacts the tests serve: bundle jars, update archives, installer tarballs. */
final class TestArtifacts {
    private TestArtifacts() {
    }

    /** A bundle without classes; extra headers (e.g. an Import-Package that cannot resolve) optional. */
    static byte[] bundle(String name, String version, String... extraHeaders) throws IOException {
        Manifest manifest = new Manifest();
        Attributes main = manifest.getMainAttributes();
        main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        main.putValue("Bundle-ManifestVersion", "2");
        main.putValue("Bundle-SymbolicName", name);
        main.putValue("Bundle-Version", version);
        for (int i = 0; i + 1 < extraHeaders.length; i += 2) {
            main.putValue(extraHeaders[i], extraHeaders[i + 1]);
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JarOutputStream jar = new JarOutputStream(bytes, manifest)) {
            jar.putNextEntry(new ZipEntry("data/version.txt"));
            jar.write(version.getBytes(StandardCharsets.UTF_8));
            jar.closeEntry();
        }
        return bytes.toByteArray();
    }

    /** The jar with one entry's content replaced, every other entry (signature files too) kept as it was. */
    static byte[] withEntry(byte[] jar, String name, String content) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (java.util.zip.ZipInputStream in = new java.util.zip.ZipInputStream(new java.io.ByteArrayInputStream(jar));
                ZipOutputStream out = new ZipOutputStream(bytes)) {
            for (ZipEntry e; (e = in.getNextEntry()) != null;) {
                out.putNextEntry(new ZipEntry(e.getName()));
                out.write(e.getName().equals(name) ? content.getBytes(StandardCharsets.UTF_8) : in.readAllBytes());
                out.closeEntry();
            }
        }
        return bytes.toByteArray();
    }

    /** A zip of the given entries, in order. */
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

    /** An update archive: feature.xml listing the jars, then the jars under bundles/. */
    static byte[] archive(Map<String, byte[]> jarsByFile) throws IOException {
        StringBuilder xml = new StringBuilder("<feature name=\"test\">\n");
        Map<String, byte[]> entries = new LinkedHashMap<>();
        jarsByFile.forEach((file, jar) -> {
            xml.append("  <bundle>bundles/").append(file).append("</bundle>\n");
            entries.put("bundles/" + file, jar);
        });
        xml.append("</feature>\n");
        Map<String, byte[]> all = new LinkedHashMap<>();
        all.put(UpdateArchive.DESCRIPTOR, xml.toString().getBytes(StandardCharsets.UTF_8));
        all.putAll(entries);
        return zip(all);
    }

    /** A gzip'd ustar archive of regular files (name → content). */
    static byte[] tarGz(Map<String, byte[]> files) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
            for (Map.Entry<String, byte[]> f : files.entrySet()) {
                byte[] header = new byte[512];
                put(header, 0, f.getKey());
                put(header, 100, "0000755");
                put(header, 108, "0000000");
                put(header, 116, "0000000");
                put(header, 124, String.format("%011o", f.getValue().length));
                put(header, 136, "00000000000");
                header[156] = '0';
                put(header, 257, "ustar");
                put(header, 263, "00");
                for (int i = 148; i < 156; i++) header[i] = ' ';
                int sum = 0;
                for (byte b : header) sum += b & 0xff;
                put(header, 148, String.format("%06o", sum));
                header[154] = 0;
                gz.write(header);
                gz.write(f.getValue());
                gz.write(new byte[(512 - f.getValue().length % 512) % 512]);
            }
            gz.write(new byte[1024]);
        }
        return bytes.toByteArray();
    }

    private static void put(byte[] header, int offset, String text) {
        byte[] b = text.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, header, offset, b.length);
    }

    static String md5(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(data));
    }

    static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }
}
