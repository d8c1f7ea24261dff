package org.guestagent.commands.update;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;
import java.util.zip.GZIPInputStream;

import org.guestagent.api.command.CommandException;

/**
 * The original agents' update: a gzip'd tar with {@code installer.sh} at its top. Read twice: once
 * to check every name, once to unpack regular files and folders (links are refused).
 */
final class InstallerTarball {

    static final String INSTALLER = "installer.sh";
    private static final String WHAT = "installer tarball";
    private static final int BLOCK = 512;

    private InstallerTarball() {
    }

    /** Unpacks the tarball into folder; the installer is then {@code folder/installer.sh}. */
    static void unpack(Path tarball, Path folder, long maxUnpackedSize) throws IOException {
        boolean hasInstaller = walk(tarball, null, maxUnpackedSize);
        if (!hasInstaller) {
            throw new CommandException("The installer tarball has no " + INSTALLER + " at its top; nothing was installed");
        }
        walk(tarball, folder, maxUnpackedSize);
    }

    /** Reads every entry; unpacks into folder unless it is null. True when installer.sh is at the top. */
    private static boolean walk(Path tarball, Path folder, long budget) throws IOException {
        boolean hasInstaller = false;
        try (InputStream in = new GZIPInputStream(new BufferedInputStream(Files.newInputStream(tarball)))) {
            byte[] header = new byte[BLOCK];
            String longName = null;
            while (readFully(in, header) && !allZero(header)) {
                char type = (char) header[156];
                long size = octal(header, 124, 12);
                budget -= size;
                if (size < 0 || budget < 0) {
                    throw new CommandException("The installer tarball is damaged or too large; nothing was installed");
                }
                if (type == 'L' || type == 'x') {
                    String data = new String(readData(in, size), StandardCharsets.UTF_8);
                    longName = type == 'L' ? data.replace("\0", "") : paxPath(data, longName);
                    continue;
                }
                String name = longName != null ? longName : headerName(header);
                longName = null;
                if (type == 'g') {
                    skip(in, size + padding(size));
                    continue;
                }
                String checked = EntryNames.checked(name, WHAT);
                if (type != '0' && type != '\0' && type != '5') {
                    throw new CommandException("The installer tarball holds '" + checked
                            + "', which is a link or special file; nothing was installed");
                }
                hasInstaller |= checked.equals(INSTALLER) && type != '5';
                if (folder == null || type == '5') {
                    skip(in, size + padding(size));
                    if (folder != null) {
                        Files.createDirectories(EntryNames.target(folder, checked));
                    }
                } else {
                    unpackFile(in, size, EntryNames.target(folder, checked), (int) octal(header, 100, 8));
                }
            }
        }
        return hasInstaller;
    }

    private static void unpackFile(InputStream in, long size, Path target, int mode) throws IOException {
        Files.createDirectories(target.getParent());
        try (OutputStream out = Files.newOutputStream(target)) {
            long left = size;
            byte[] buffer = new byte[BLOCK * 16];
            while (left > 0) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
                if (n < 0) {
                    throw new CommandException("The installer tarball is truncated; nothing was installed");
                }
                out.write(buffer, 0, n);
                left -= n;
            }
        }
        skip(in, padding(size));
        Set<PosixFilePermission> permissions = EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
        if ((mode & 0100) != 0) {
            permissions.add(PosixFilePermission.OWNER_EXECUTE);
        }
        Files.setPosixFilePermissions(target, permissions);
    }

    private static String headerName(byte[] header) {
        String name = text(header, 0, 100);
        String magic = text(header, 257, 6);
        String prefix = magic.startsWith("ustar") ? text(header, 345, 155) : "";
        return prefix.isEmpty() ? name : prefix + "/" + name;
    }

    /** The path record of a pax extended header, else the name known so far. */
    private static String paxPath(String records, String current) {
        for (String record : records.split("\n")) {
            int space = record.indexOf(' ');
            if (space > 0 && record.startsWith("path=", space + 1)) {
                return record.substring(space + 6);
            }
        }
        return current;
    }

    private static byte[] readData(InputStream in, long size) throws IOException {
        if (size > 1024 * 1024) {
            throw new CommandException("The installer tarball has an oversized header; nothing was installed");
        }
        byte[] data = new byte[(int) size];
        if (!readFully(in, data)) {
            throw new CommandException("The installer tarball is truncated; nothing was installed");
        }
        skip(in, padding(size));
        return data;
    }

    private static long padding(long size) {
        return (BLOCK - size % BLOCK) % BLOCK;
    }

    private static void skip(InputStream in, long count) throws IOException {
        in.skipNBytes(count);
    }

    private static boolean readFully(InputStream in, byte[] buffer) throws IOException {
        int n = in.readNBytes(buffer, 0, buffer.length);
        if (n == 0) {
            return false;
        }
        if (n < buffer.length) {
            throw new CommandException("The installer tarball is truncated; nothing was installed");
        }
        return true;
    }

    private static boolean allZero(byte[] block) {
        for (byte b : block) {
            if (b != 0) return false;
        }
        return true;
    }

    private static String text(byte[] header, int offset, int length) {
        int end = offset;
        while (end < offset + length && header[end] != 0) {
            end++;
        }
        return new String(header, offset, end - offset, StandardCharsets.UTF_8);
    }

    private static long octal(byte[] header, int offset, int length) {
        String digits = text(header, offset, length).trim();
        if (digits.isEmpty()) {
            return 0;
        }
        try {
            return Long.parseLong(digits, 8);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
