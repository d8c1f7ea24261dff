package org.guestagent.launcher;

/**
 * Maps {@code mvn:groupId/artifactId/version[/type[/classifier]]} to the file name
 * maven-dependency-plugin gives the artifact in the distribution's bundles/ folder.
 */
final class MavenUrl {
    private MavenUrl() {
    }

    static String fileName(String url) throws ConfigException {
        if (!url.startsWith("mvn:")) {
            throw new ConfigException("bundle location '" + url + "' is not an mvn: URL");
        }
        String[] parts = url.substring(4).split("/");
        if (parts.length < 3 || parts.length > 5 || parts[0].isEmpty() || parts[1].isEmpty() || parts[2].isEmpty()) {
            throw new ConfigException("bundle location '" + url + "' is not of the form mvn:groupId/artifactId/version");
        }
        String type = parts.length > 3 && !parts[3].isEmpty() ? parts[3] : "jar";
        String classifier = parts.length > 4 && !parts[4].isEmpty() ? "-" + parts[4] : "";
        return parts[1] + "-" + parts[2] + classifier + "." + type;
    }
}
