package org.guestagent.commands.update;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.SocketTimeoutException;
import java.net.URLConnection;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import org.guestagent.api.command.CommandException;

/** Fetches an update into a file, bounded in time and size, and computes its digests on the way. */
final class Downloader {

    /** A downloaded file and its digests (lower-case hex). */
    record Download(Path file, long size, String md5, String sha256) {
    }

    private final UpdateSettings settings;

    Downloader(UpdateSettings settings) {
        this.settings = settings;
    }

    Download fetch(UpdateRequest request, Path target) {
        String shown = request.shownUrl();
        try (InputStream in = open(request, shown)) {
            return copy(in, target, shown);
        } catch (CommandException e) {
            throw e;
        } catch (IOException e) {
            throw new CommandException("Download of " + shown + " failed: " + reason(e));
        }
    }

    private InputStream open(UpdateRequest request, String shown) throws IOException {
        URLConnection connection = request.url().toURL().openConnection();
        connection.setConnectTimeout((int) settings.connectTimeout().toMillis());
        connection.setReadTimeout((int) settings.readTimeout().toMillis());
        connection.setUseCaches(false);
        HttpURLConnection http = (HttpURLConnection) connection;
        int status = http.getResponseCode();
        if (status != HttpURLConnection.HTTP_OK) {
            http.disconnect();
            throw new CommandException("Download of " + shown + " failed: the server answered HTTP " + status);
        }
        checkSize(http.getContentLengthLong(), shown);
        return http.getInputStream();
    }

    private Download copy(InputStream in, Path target, String shown) throws IOException {
        MessageDigest md5 = digest("MD5");
        MessageDigest sha256 = digest("SHA-256");
        long total = 0;
        byte[] buffer = new byte[64 * 1024];
        try (OutputStream out = Files.newOutputStream(target)) {
            for (int n; (n = in.read(buffer)) > 0;) {
                total += n;
                checkSize(total, shown);
                md5.update(buffer, 0, n);
                sha256.update(buffer, 0, n);
                out.write(buffer, 0, n);
            }
        }
        HexFormat hex = HexFormat.of();
        return new Download(target, total, hex.formatHex(md5.digest()), hex.formatHex(sha256.digest()));
    }

    private void checkSize(long size, String shown) {
        if (size > settings.maxSize()) {
            throw new CommandException("Download of " + shown + " is larger than the limit of "
                    + settings.maxSize() + " bytes");
        }
    }

    private static String reason(IOException e) {
        if (e instanceof ConnectException) return "connection refused";
        if (e instanceof SocketTimeoutException) return "timed out";
        if (e instanceof UnknownHostException) return "unknown host";
        if (e instanceof NoSuchFileException || e instanceof FileNotFoundException) return "no such file";
        String message = e.getMessage();
        return message == null || message.isBlank() ? "input/output error" : message;
    }

    private static MessageDigest digest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(algorithm + " is missing from the Java runtime", e);
        }
    }
}
