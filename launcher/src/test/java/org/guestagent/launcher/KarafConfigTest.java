package org.guestagent.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

import javax.xml.parsers.DocumentBuilderFactory;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The descriptor's {@code <config>} elements (what Karaf gets) say what config/ says (what the
 * launcher gets): same PIDs, same keys, same values, run-folder paths as the launcher resolves
 * them for root. The launcher's own files (its settings, the deploy watcher) have no Karaf twin.
 */
class KarafConfigTest {
    private static final Path CONFIG = Path.of("../config");
    private static final Path SHIPPED = Path.of("../features/target/feature/features.xml");

    @Test
    void everyComponentConfigurationOfConfigIsInTheDescriptorWithTheSameValues() throws Exception {
        Assumptions.assumeTrue(Files.exists(SHIPPED), "features module not built yet");
        Map<String, Properties> karaf = karafConfigs();
        Map<String, String> launcherVariables = Map.of("guestagent.run.dir", "/run/guest-agent");
        int compared = 0;
        try (var files = Files.list(CONFIG)) {
            for (Path file : (Iterable<Path>) files.sorted()::iterator) {
                String name = file.getFileName().toString();
                if (!name.startsWith("org.guestagent.") || !name.endsWith(".cfg") || name.equals("org.guestagent.launcher.cfg")) {
                    continue;
                }
                String pid = name.substring(0, name.length() - ".cfg".length());
                Properties launcher = Settings.load(file);
                if (pid.equals("org.guestagent.shell") && launcher.getProperty("socket.path", "").isBlank()) {
                    // empty: <run dir>/shell.sock, what Settings and ShellChannel make of it
                    launcher.setProperty("socket.path", "${guestagent.run.dir}/shell.sock");
                }
                assertTrue(karaf.containsKey(pid), "no <config name=\"" + pid + "\"> in " + SHIPPED);
                assertEquals(resolved(launcher, launcherVariables), resolved(karaf.get(pid), Map.of()), pid);
                compared++;
            }
        }
        assertEquals(compared, karaf.size(), "a <config> without a config/ file: " + karaf.keySet());
    }

    private static Map<String, Properties> karafConfigs() throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        NodeList configs = factory.newDocumentBuilder().parse(SHIPPED.toFile()).getElementsByTagNameNS("*", "config");
        Map<String, Properties> result = new TreeMap<>();
        for (int i = 0; i < configs.getLength(); i++) {
            Element config = (Element) configs.item(i);
            Properties p = new Properties();
            p.load(new StringReader(config.getTextContent()));
            assertTrue(result.put(config.getAttribute("name"), p) == null, "twice: " + config.getAttribute("name"));
        }
        return result;
    }

    private static Map<String, String> resolved(Properties p, Map<String, String> variables) {
        Map<String, String> result = new TreeMap<>();
        for (String key : p.stringPropertyNames()) {
            result.put(key, Settings.substitute(p.getProperty(key).trim(), variables));
        }
        return result;
    }
}
