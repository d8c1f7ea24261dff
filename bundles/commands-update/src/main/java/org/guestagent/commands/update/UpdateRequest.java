package org.guestagent.commands.update;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

import org.guestagent.api.CommandArgument;
import org.guestagent.api.CommandException;

/**
 * What agentupdate was asked: {@code "url,md5hex"} (current hosts) or
 * {@code {"url": ..., "md5sum": ..., "sha256": ...}} (older hosts; sha256 is our optional addition).
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
            return of(text.substring(0, comma), text.substring(comma + 1), null);
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
        if (md5 == null || !MD5.matcher(md5.trim().toLowerCase(Locale.ROOT)).matches()) {
            throw new CommandException("agentupdate needs an MD5 sum of 32 hexadecimal digits");
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
        if (!scheme.equals("http") && !scheme.equals("https") && !scheme.equals("file")) {
            throw new CommandException("agentupdate downloads only http, https or file URLs, not '" + scheme + "'");
        }
        return new UpdateRequest(uri, md5.trim().toLowerCase(Locale.ROOT), sha);
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
