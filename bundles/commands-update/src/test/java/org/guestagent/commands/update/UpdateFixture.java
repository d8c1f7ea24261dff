package org.guestagent.commands.update;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

import com.sun.net.httpserver.HttpServer;

import org.guestagent.api.command.CommandArgument;
import org.guestagent.testsupport.TestGuestFiles;
import org.guestagent.testsupport.TestSystemActions;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;

/** An embedded Felix, a loopback HTTP server serving chosen bytes, and an UpdateManager over both. */
final class UpdateFixture implements AutoCloseable {
    static final String STATE_DIR = "/var/lib/guest-agent/updates";

    final Path root;
    final Path temp;
    final Framework framework;
    final HttpServer server;
    final Map<String, byte[]> served = new ConcurrentHashMap<>();
    final TestSystemActions actions = new TestSystemActions();
    final UpdateManager manager;

    UpdateFixture(Path scratch, long maxSize) throws Exception {
        this(scratch, maxSize, true, false, null);
    }

    /** trustStore non-null: the signed-bundle mode with that store (password "changeit"). */
    UpdateFixture(Path scratch, long maxSize, boolean allowHttp, boolean allowDowngrade, Path trustStore) throws Exception {
        root = Files.createDirectories(scratch.resolve("root"));
        temp = Files.createDirectories(scratch.resolve("temp"));
        Map<String, String> config = new HashMap<>();
        config.put(Constants.FRAMEWORK_STORAGE, Files.createTempDirectory(scratch, "felix-cache").toString());
        config.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        framework = ServiceLoader.load(FrameworkFactory.class).iterator().next().newFramework(config);
        framework.start();
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            byte[] body = served.get(exchange.getRequestURI().getPath());
            if (body == null) {
                exchange.sendResponseHeaders(404, -1);
            } else {
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
            exchange.close();
        });
        server.start();
        UpdateSettings settings = new UpdateSettings(Duration.ofSeconds(5), Duration.ofSeconds(5), maxSize, STATE_DIR,
                3, temp, Duration.ofMillis(100), List.of("test.deferred*"), Duration.ofSeconds(10), Duration.ofSeconds(20),
                allowHttp, allowDowngrade, trustStore, "changeit");
        manager = new UpdateManager(framework.getBundleContext(), settings, new TestGuestFiles(root), actions);
    }

    /** Serves data at path and returns its URL. */
    String serve(String path, byte[] data) {
        served.put(path, data);
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    String update(String url, String md5) {
        return manager.update(UpdateRequest.parse(CommandArgument.of(url + "," + md5)), "test-request");
    }

    Bundle bundle(String name) {
        for (Bundle b : framework.getBundleContext().getBundles()) {
            if (name.equals(b.getSymbolicName())) {
                return b;
            }
        }
        return null;
    }

    Bundle install(byte[] jar, String location) throws BundleException {
        Bundle b = framework.getBundleContext().installBundle(location, new java.io.ByteArrayInputStream(jar));
        b.start();
        return b;
    }

    int bundleCount() {
        return framework.getBundleContext().getBundles().length;
    }

    boolean tempIsEmpty() throws IOException {
        try (Stream<Path> list = Files.list(temp)) {
            return list.findAny().isEmpty();
        }
    }

    Path state(String name) {
        return root.resolve(STATE_DIR.substring(1)).resolve(name);
    }

    /** Polls a condition for at most ten seconds (for work done after the answer). */
    static boolean eventually(java.util.function.BooleanSupplier condition) throws InterruptedException {
        for (int i = 0; i < 200; i++) {
            if (condition.getAsBoolean()) {
                return true;
            }
            Thread.sleep(50);
        }
        return condition.getAsBoolean();
    }

    @Override
    public void close() throws Exception {
        server.stop(0);
        framework.stop();
        framework.waitForStop(10_000);
    }
}
