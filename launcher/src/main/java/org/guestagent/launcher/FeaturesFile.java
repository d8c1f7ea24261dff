package org.guestagent.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;

import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.SAXException;

/**
 * A Karaf features XML as far as the launcher needs it: features made of bundles (with an
 * optional start level, and {@code start="false"} for one installed but not started) and of other
 * features.
 */
final class FeaturesFile {

    /**
     * One bundle of a feature: its mvn: URL, start level (0 = the default level), and whether it
     * is started (Karaf's {@code start} attribute, default true).
     */
    record BundleRef(String url, int startLevel, boolean start) {
        BundleRef(String url, int startLevel) {
            this(url, startLevel, true);
        }
    }

    private record Feature(List<String> features, List<BundleRef> bundles) {
    }

    private final Map<String, Feature> features = new LinkedHashMap<>();

    static FeaturesFile read(Path file) throws ConfigException {
        if (!Files.isReadable(file)) {
            throw new ConfigException("features file " + file + " does not exist or cannot be read");
        }
        try (InputStream in = Files.newInputStream(file)) {
            return parse(in, file.toString());
        } catch (IOException e) {
            throw new ConfigException("cannot read features file " + file + ": " + e.getMessage(), e);
        }
    }

    static FeaturesFile parse(InputStream in, String source) throws ConfigException {
        Document doc;
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            factory.setNamespaceAware(true);
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            DocumentBuilder builder = factory.newDocumentBuilder();
            builder.setErrorHandler(null);
            doc = builder.parse(in);
        } catch (ParserConfigurationException | SAXException | IOException e) {
            throw new ConfigException("features file " + source + " is not valid XML: " + e.getMessage(), e);
        }
        FeaturesFile result = new FeaturesFile();
        for (Element feature : children(doc.getDocumentElement(), "feature")) {
            String name = feature.getAttribute("name");
            if (name.isEmpty()) {
                throw new ConfigException("features file " + source + " has a feature without a name");
            }
            List<String> nested = new ArrayList<>();
            List<BundleRef> bundles = new ArrayList<>();
            for (Element child : children(feature, null)) {
                switch (child.getLocalName()) {
                    case "feature" -> nested.add(child.getTextContent().trim());
                    case "bundle" -> bundles.add(new BundleRef(child.getTextContent().trim(), startLevel(child, source),
                            !"false".equals(child.getAttribute("start").trim())));
                    default -> { } // config, configfile, capability...: not used by this launcher
                }
            }
            result.features.put(name, new Feature(nested, bundles));
        }
        return result;
    }

    Set<String> names() {
        return features.keySet();
    }

    /**
     * The bundles of the named features and of the features they name, each once, in the
     * order of first mention (dependencies first).
     */
    List<BundleRef> bundlesOf(List<String> names) throws ConfigException {
        Map<String, BundleRef> byUrl = new LinkedHashMap<>();
        Set<String> done = new LinkedHashSet<>();
        for (String name : names) {
            collect(name, byUrl, done, new LinkedHashSet<>());
        }
        return new ArrayList<>(byUrl.values());
    }

    private void collect(String name, Map<String, BundleRef> byUrl, Set<String> done, Set<String> path) throws ConfigException {
        if (done.contains(name)) {
            return;
        }
        Feature feature = features.get(name);
        if (feature == null) {
            throw new ConfigException("unknown feature '" + name + "' (known: " + String.join(", ", features.keySet()) + ")");
        }
        if (!path.add(name)) {
            throw new ConfigException("feature '" + name + "' includes itself");
        }
        for (String nested : feature.features()) {
            collect(nested, byUrl, done, path);
        }
        for (BundleRef bundle : feature.bundles()) {
            byUrl.putIfAbsent(bundle.url(), bundle);
        }
        path.remove(name);
        done.add(name);
    }

    private static int startLevel(Element bundle, String source) throws ConfigException {
        String level = bundle.getAttribute("start-level");
        if (level.isEmpty()) {
            return 0;
        }
        try {
            int value = Integer.parseInt(level.trim());
            if (value < 1) {
                throw new NumberFormatException();
            }
            return value;
        } catch (NumberFormatException e) {
            throw new ConfigException("features file " + source + ": bad start-level '" + level + "'");
        }
    }

    private static List<Element> children(Element parent, String localName) {
        List<Element> result = new ArrayList<>();
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && (localName == null || localName.equals(e.getLocalName()))) {
                result.add(e);
            }
        }
        return result;
    }
}
