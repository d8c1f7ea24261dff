package org.guestagent.commands.update;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

import org.guestagent.api.command.CommandArgument;
import org.guestagent.api.command.CommandException;

/**
 * What agentupdate was asked: {@code "url,md5hex"} or {@code "url,sha256hex"} (current hosts; the
 * digest is told apart by its length: 32 hex digits MD5, 64 SHA-256) or
 * {@code {"url": ..., "md5sum": ..., "sha256": ...}} (older hosts; sha256 is our optional addition).
 * At least one digest is given; each given one must match. Only http(s) URLs are taken: a
 * {@code file:} URL would let whoever writes requests install any file of the guest.
 */
record UpdateRequest(URI url, String md5, String sha256) {

    private static final Pattern MD5 = Pattern.compile("[0-9a-f]{32}");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    static UpdateRequest parse(CommandArgument argument) {
        String text = argument.text();
        if (text != null) {
            int comma = text.lastIndexOf(',');
            if (comma < 0) {
                throw new CommandException("agentupdate expects 'url,md5sum'");
            }
            String digest = text.substring(comma + 1).trim();
            return digest.length() == 64 ? of(text.substring(0, comma), null, digest)
                    : of(text.substring(0, comma), digest, null);
        }
        Map<String, Object> object = argument.object();
        if (object != null) {
            return of(string(object, "url"), string(object, "md5sum"), string(object, "sha256"));
        }
        throw new CommandException("agentupdate expects 'url,md5sum' or an object with 'url' and 'md5sum'");
    }

    private static String string(Map<String, Object> object, String key) {
        Object value = object.get(key);
        return value == null ? null : value.toString();
    }

    private static UpdateRequest of(String url, String md5, String sha256) {
        if (url == null || url.isBlank()) {
            throw new CommandException("agentupdate needs a 'url'");
        }
        boolean md5Fits = md5 != null && MD5.matcher(md5.trim().toLowerCase(Locale.ROOT)).matches();
        boolean shaOnly = md5 == null && sha256 != null && !sha256.isBlank();
        if (!md5Fits && !shaOnly) {
            throw new CommandException("agentupdate needs an MD5 sum of 32 or a SHA-256 of 64 hexadecimal digits");
        }
        String sha = null;
        if (sha256 != null && !sha256.isBlank()) {
            sha = sha256.trim().toLowerCase(Locale.ROOT);
            if (!SHA256.matcher(sha).matches()) {
                throw new CommandException("The 'sha256' of agentupdate must be 64 hexadecimal digits");
            }
        }
        URI uri;
        try {
            uri = new URI(url.trim());
        } catch (URISyntaxException e) {
            throw new CommandException("agentupdate was given a malformed URL");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new CommandException("agentupdate downloads only http or https URLs, not '" + scheme + "'");
        }
        if (uri.getHost() == null) {
            throw new CommandException("agentupdate was given a URL without a host");
        }
        return new UpdateRequest(uri, md5 == null ? null : md5.trim().toLowerCase(Locale.ROOT), sha);
    }

    /** Refuses plain http unless the configuration allows it. */
    void checkScheme(boolean allowHttp) {
        if (!allowHttp && url.getScheme().equalsIgnoreCase("http")) {
            throw new CommandException("agentupdate downloads only https URLs; http is not allowed by the configuration");
        }
    }

    /** The URL for messages and logs: without user info and query, which may hold credentials. */
    String shownUrl() {
        return displayed(url);
    }

    static String displayed(URI uri) {
        StringBuilder b = new StringBuilder(uri.getScheme()).append("://");
        if (uri.getHost() != null) {
            b.append(uri.getHost());
            if (uri.getPort() >= 0) {
                b.append(':').append(uri.getPort());
            }
        }
        if (uri.getRawPath() != null) {
            b.append(uri.getRawPath());
        }
        return b.toString();
    }
}
