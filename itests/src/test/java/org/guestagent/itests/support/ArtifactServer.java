package org.guestagent.itests.support;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import com.sun.net.httpserver.HttpServer;

/** A local HTTP server on 127.0.0.1 that serves byte arrays by path; any other path is a 404. */
public final class ArtifactServer implements AutoCloseable {
    private final Map<String, byte[]> served = new ConcurrentHashMap<>();
    private final HttpServer server;

    public ArtifactServer() throws IOException {
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
    }

    /** Serves the data at the path (e.g. {@code /sample.jar}) and returns its URL. */
    public String serve(String path, byte[] data) {
        served.put(path, data);
        return url(path);
    }

    /** The URL of a path, served or not. */
    public String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
