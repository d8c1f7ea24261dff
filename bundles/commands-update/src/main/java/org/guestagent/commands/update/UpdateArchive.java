package org.guestagent.commands.update;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;

import org.guestagent.api.command.CommandException;
import org.w3c.dom.Document;
import org.w3c.dom.NodeList;

/**
 * An update archive: a zip holding bundle jars and, at its top, {@code feature.xml} listing them in
 * start order, e.g. {@code <feature name="x"><bundle>bundles/a.jar</bundle></feature>} (the
 * {@code <bundle>} elements of a Karaf features file work too). Every entry name is checked before
 * anything is unpacked.
 */
final class UpdateArchive {

    static final String DESCRIPTOR = "feature.xml";
    private static final String WHAT = "update archive";

    private UpdateArchive() {
    }

    /** Unpacks the listed bundles into folder and returns their files in the listed order. */
    static List<Path> unpack(Path zip, Path folder, long maxUnpackedSize) throws IOException {
        try (ZipFile archive = new ZipFile(zip.toFile())) {
            Set<String> names = new HashSet<>();
            for (Enumeration<? extends ZipEntry> e = archive.entries(); e.hasMoreElements();) {
                names.add(EntryNames.checked(e.nextElement().getName(), WHAT));
            }
            ZipEntry descriptor = archive.getEntry(DESCRIPTOR);
            if (descriptor == null) {
                throw new CommandException("The update is a zip without " + DESCRIPTOR + " and not a bundle; nothing was installed");
            }
            List<String> listed;
            try (InputStream in = archive.getInputStream(descriptor)) {
                listed = bundlePaths(in);
            }
            if (listed.isEmpty()) {
                throw new CommandException("The " + DESCRIPTOR + " of the update archive lists no bundle");
            }
            List<Path> jars = new ArrayList<>();
            long budget = maxUnpackedSize;
            for (String path : listed) {
                String name = EntryNames.checked(path, WHAT);
                ZipEntry entry = archive.getEntry(name);
                if (entry == null || entry.isDirectory() || !names.contains(name)) {
                    throw new CommandException("The update archive lists '" + name + "' but does not hold it");
                }
                Path target = EntryNames.target(folder, name);
                Files.createDirectories(target.getParent());
                try (InputStream in = archive.getInputStream(entry); OutputStream out = Files.newOutputStream(target)) {
                    budget -= copyBounded(in, out, budget);
                }
                jars.add(target);
            }
            return jars;
        }
    }

    private static long copyBounded(InputStream in, OutputStream out, long budget) throws IOException {
        byte[] buffer = new byte[64 * 1024];
        long total = 0;
        for (int n; (n = in.read(buffer)) > 0;) {
            total += n;
            if (total > budget) {
                throw new CommandException("The update archive unpacks to more than the size limit; nothing was installed");
            }
            out.write(buffer, 0, n);
        }
        return total;
    }

    private static List<String> bundlePaths(InputStream in) {
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            factory.setExpandEntityReferences(false);
            DocumentBuilder builder = factory.newDocumentBuilder();
            builder.setErrorHandler(null);
            Document document = builder.parse(in);
            NodeList bundles = document.getElementsByTagName("bundle");
            List<String> paths = new ArrayList<>();
            for (int i = 0; i < bundles.getLength(); i++) {
                String text = bundles.item(i).getTextContent().trim();
                if (!text.isEmpty()) {
                    paths.add(text);
                }
            }
            return paths;
        } catch (Exception e) {
            throw new CommandException("The " + DESCRIPTOR + " of the update archive is not readable XML");
        }
    }
}
