package org.guestagent.xenstore.simulator;

/** XenStore path rules, as xenstored checks them. */
final class Paths {
    static final int ABS_PATH_MAX = 3072;
    static final int REL_PATH_MAX = 2048;
    private static final String VALID = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-/_@";

    private Paths() {
    }

    static String home(int domid) {
        return "/local/domain/" + domid;
    }

    /** Makes a node path absolute (relative paths hang below the caller's home) and checks it. */
    static String canonical(String path, int domid) throws Errno {
        if (path.isEmpty() || (!path.startsWith("/") && path.length() > REL_PATH_MAX)) {
            throw new Errno("EINVAL");
        }
        String abs = path.startsWith("/") ? path : home(domid) + "/" + path;
        if (!isValid(abs)) {
            throw new Errno("EINVAL");
        }
        return abs;
    }

    static boolean isValid(String abs) {
        if (!abs.startsWith("/") || abs.length() > ABS_PATH_MAX || abs.contains("//")
                || (abs.length() > 1 && abs.endsWith("/"))) {
            return false;
        }
        for (int i = 0; i < abs.length(); i++) {
            if (VALID.indexOf(abs.charAt(i)) < 0) {
                return false;
            }
        }
        return true;
    }

    static String parent(String abs) {
        int slash = abs.lastIndexOf('/');
        return slash <= 0 ? "/" : abs.substring(0, slash);
    }

    static String name(String abs) {
        return abs.substring(abs.lastIndexOf('/') + 1);
    }

    static String child(String abs, String name) {
        return abs.equals("/") ? "/" + name : abs + "/" + name;
    }

    /** True when path is base or lies below it. */
    static boolean isAtOrBelow(String path, String base) {
        return path.equals(base) || base.equals("/") || path.startsWith(base + "/");
    }
}
