package org.guestagent.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettingsTest {
    @TempDir
    Path home;

    private Settings settings(boolean superUser, String... args) throws Exception {
        Files.createDirectories(home.resolve("config"));
        return new Settings(Options.parse(args), home, superUser);
    }

    @Test
    void withRootEverythingTheAgentWritesIsUnderIt() throws Exception {
        Path root = Files.createDirectories(home.resolve("scratch"));
        Settings s = settings(true, "--root", root.toString());
        assertEquals(root.resolve("var/lib/guest-agent"), s.stateDir);
        assertEquals(root.resolve("run/guest-agent/guest-agent.pid"), s.pidFile);
        assertEquals(root.resolve("run/guest-agent/shell.sock"), s.socket);
        assertEquals(root.resolve("var/log/guest-agent.log"), s.logFile);
        assertEquals(root.toString(), s.frameworkProperties().get("guestagent.root"));
    }

    @Test
    void rootUsesSystemFoldersAndAUserTheDistribution() throws Exception {
        assertEquals(Path.of("/run/guest-agent/shell.sock"), settings(true).socket);
        assertEquals(Path.of("/var/log/guest-agent.log"), settings(true).logFile);
        assertEquals(home.resolve("data/run/guest-agent.pid"), settings(false).pidFile);
        // auto: xen and/or kvm as this machine has them, in its place
        List<String> features = settings(false).features;
        assertEquals("guest-agent-core", features.get(0));
        assertEquals("guest-agent-shell", features.get(features.size() - 1));
        assertEquals(true, features.contains("guest-agent-xen") || features.contains("guest-agent-kvm"), features.toString());
    }

    @Test
    void configFilesAndOptionsChooseInThatOrder() throws Exception {
        Files.createDirectories(home.resolve("config"));
        Files.writeString(home.resolve("config/org.guestagent.launcher.cfg"), "features = core,dev\nlog.level = warn\nrun.dir = ${guestagent.home}/r\n");
        Files.writeString(home.resolve("config/org.guestagent.shell.cfg"), "socket.path=/tmp/x.sock\n");
        Files.writeString(home.resolve("config/framework.properties"), "a.b = ${guestagent.deploy.dir}/x\n");
        Settings fromFile = settings(false);
        assertEquals(List.of("core", "dev"), fromFile.features);
        assertEquals("warn", fromFile.logLevel);
        assertEquals(home.resolve("r/guest-agent.pid"), fromFile.pidFile);
        assertEquals(Path.of("/tmp/x.sock"), fromFile.socket);
        Map<String, String> framework = fromFile.frameworkProperties();
        assertEquals(home.resolve("deploy") + "/x", framework.get("a.b"));
        assertEquals(home.resolve("config").toString(), framework.get("felix.fileinstall.dir"));
        Settings fromOptions = settings(false, "--features", "core", "--log-level", "error");
        assertEquals(List.of("core"), fromOptions.features);
        assertEquals("error", fromOptions.logLevel);
    }

    @Test
    void badConfigurationIsNamed() throws Exception {
        assertEquals("configuration folder /nonexistent/config does not exist",
                assertThrows(ConfigException.class, () -> new Settings(Options.parse(new String[] {"--config", "/nonexistent/config"}), home, false)).getMessage());
        Files.createDirectories(home.resolve("config"));
        Files.writeString(home.resolve("config/org.guestagent.launcher.cfg"), "log.level=chatty\n");
        assertThrows(UsageException.class, () -> settings(false));
    }
}
