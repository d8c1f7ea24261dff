package org.guestagent.commands.update;

import java.nio.file.Path;

import org.guestagent.api.command.CommandException;

/** Checks names of archive entries so that nothing is written outside the folder it is unpacked into. */
final class EntryNames {

    private EntryNames() {
    }

    /** The name without a leading "./", or a CommandException when it could leave the folder. */
    static String checked(String name, String what) {
        String cleaned = name;
        while (cleaned.startsWith("./")) {
            cleaned = cleaned.substring(2);
        }
        boolean unsafe = cleaned.isEmpty() || cleaned.startsWith("/") || cleaned.contains("\\")
                || cleaned.indexOf('\0') >= 0 || cleaned.matches("^[A-Za-z]:.*");
        for (String part : cleaned.split("/")) {
            unsafe |= part.equals("..");
        }
        if (unsafe) {
            throw new CommandException("The " + what + " holds an entry outside its folder ('" + printable(name)
                    + "'); nothing was installed");
        }
        return cleaned;
    }

    /** The file an entry is unpacked to, checked once more after normalisation. */
    static Path target(Path folder, String checkedName) {
        Path target = folder.resolve(checkedName).normalize();
        if (!target.startsWith(folder)) {
            throw new CommandException("An update entry points outside its folder; nothing was installed");
        }
        return target;
    }

    private static String printable(String name) {
        String shortened = name.length() > 120 ? name.substring(0, 120) + "..." : name;
        return shortened.replaceAll("[\\p{Cntrl}]", "?");
    }
}
