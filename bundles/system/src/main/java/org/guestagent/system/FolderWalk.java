package org.guestagent.system;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

import org.guestagent.platform.handles.FileHandle;
import org.guestagent.platform.handles.FileHandle.Attributes;

/**
 * Finds a guest path's folder from an open handle of the root, one name at a time, without the
 * kernel ever following a link: each folder is opened with O_NOFOLLOW from the handle of the one
 * above. A link among the folders is followed by this walk itself, only when it belongs to root
 * (or to the agent's own user) and only to a place inside the root; a link owned by anyone else
 * is refused, since a user could swap a folder of theirs for a link at any moment. Missing folders
 * are created only once every existing part of the path has been checked.
 */
final class FolderWalk {

    private static final int MAX_LINKS = 40;

    /** How new folders are made. */
    interface FolderMaker {
        /** Called with the new folder, already open, and the folder holding it. */
        void made(FileHandle folder, FileHandle holder, boolean last) throws IOException;
    }

    /** The folder a path ends in, open, and the folder holding that one (null at the root). */
    record Found(FileHandle folder, FileHandle holder, String guestFolder) implements AutoCloseable {
        @Override
        public void close() {
            folder.close();
            if (holder != null) {
                holder.close();
            }
        }
    }

    private final Path root;
    private final boolean strict;
    private final int ownUid;

    /**
     * @param root   the real path of the root folder (links resolved)
     * @param strict refuse every link, also one owned by root (the agent's own files)
     */
    FolderWalk(Path root, boolean strict) {
        this.root = root;
        this.strict = strict;
        this.ownUid = ownUid();
    }

    /**
     * Opens the folder named by {@code folders} (names below the root, no "." or ".."). With a
     * maker, missing folders are created; without one, a missing folder is a NoSuchFileException.
     */
    Found open(List<String> folders, FolderMaker maker) throws IOException {
        Deque<FileHandle> open = new ArrayDeque<>(); // from the root down to the current folder
        Deque<String> guestNames = new ArrayDeque<>(); // the guest path of the current folder
        Deque<String> todo = new ArrayDeque<>(folders);
        try {
            open.push(FileHandle.openFolder(root));
            int links = 0;
            while (!todo.isEmpty()) {
                String name = todo.pop();
                if (name.isEmpty() || name.equals(".")) {
                    continue;
                }
                if (name.equals("..")) {
                    if (open.size() == 1) {
                        throw refused(guestNames, null, "a symbolic link among its folders leads outside the root folder " + root);
                    }
                    open.pop().close();
                    guestNames.removeLast();
                    continue;
                }
                FileHandle current = open.peek();
                Attributes entry = current.attributes(name);
                if (entry == null) {
                    if (maker == null) {
                        throw new NoSuchFileException(guestPath(guestNames, name));
                    }
                    todo.push(name);
                    if (todo.contains("..")) {
                        throw refused(guestNames, null, "a symbolic link among its folders leads through the missing folder "
                                + guestPath(guestNames, name));
                    }
                    // everything that exists is checked: from here on, every folder is new
                    while (!todo.isEmpty()) {
                        String missing = todo.pop();
                        if (missing.isEmpty() || missing.equals(".")) {
                            continue;
                        }
                        FileHandle holder = open.peek();
                        boolean ours = true;
                        try {
                            holder.createFolder(missing, 0700);
                        } catch (FileAlreadyExistsException e) {
                            ours = false; // made meanwhile by someone else: used if it is a real folder
                        }
                        FileHandle made = holder.folder(missing);
                        open.push(made);
                        guestNames.addLast(missing);
                        if (ours) {
                            maker.made(made, holder, todo.stream().allMatch(n -> n.isEmpty() || n.equals(".")));
                        }
                    }
                    break;
                }
                if (entry.isLink()) {
                    if (++links > MAX_LINKS) {
                        throw refused(guestNames, name, "too many levels of symbolic links");
                    }
                    List<String> target = followable(current, name, entry, guestNames);
                    if (!target.isEmpty() && target.get(0).equals("/")) {
                        while (open.size() > 1) {
                            open.pop().close();
                        }
                        guestNames.clear();
                        target = target.subList(1, target.size());
                    }
                    for (int i = target.size() - 1; i >= 0; i--) {
                        todo.push(target.get(i));
                    }
                    continue;
                }
                if (!entry.isFolder()) {
                    throw new FileSystemException(guestPath(guestNames, name), null, "Not a directory");
                }
                open.push(current.folder(name)); // O_NOFOLLOW: a link swapped in meanwhile fails here
                guestNames.addLast(name);
            }
            FileHandle folder = open.pop();
            FileHandle holder = open.isEmpty() ? null : open.pop();
            return new Found(folder, holder, guestPath(guestNames, null));
        } finally {
            for (FileHandle handle : open) {
                handle.close();
            }
        }
    }

    /**
     * The path (names below the root) that the link {@code name} in a found folder leads to, when
     * the walk may follow it.
     */
    List<String> follow(Found found, String name, Attributes link) throws IOException {
        Deque<String> guestNames = new ArrayDeque<>(LocalGuestFiles.names(found.guestFolder()));
        List<String> target = followable(found.folder(), name, link, guestNames);
        List<String> result = new ArrayList<>();
        if (!target.isEmpty() && target.get(0).equals("/")) {
            target = target.subList(1, target.size());
        } else {
            result.addAll(guestNames);
        }
        for (String part : target) {
            if (part.equals("..")) {
                if (result.isEmpty()) {
                    throw refused(guestNames, name, "is a symbolic link that leads outside the root folder " + root);
                }
                result.remove(result.size() - 1);
            } else if (!part.isEmpty() && !part.equals(".")) {
                result.add(part);
            }
        }
        return result;
    }

    /**
     * The names a link among the folders stands for, "/" first when it starts from the root;
     * refused when the walk may not follow it.
     */
    private List<String> followable(FileHandle folder, String name, Attributes link, Deque<String> guestNames) throws IOException {
        if (strict) {
            throw refused(guestNames, name, "is a symbolic link; the agent does not follow links here");
        }
        if (link.uid() != 0 && link.uid() != ownUid) {
            throw refused(guestNames, name, "is a symbolic link owned by a user other than root");
        }
        String text = folder.readLink(name);
        Attributes again = folder.attributes(name);
        // a rename sets the link's change time: the same inode and time mean the text read is this link's
        if (again == null || again.inode() != link.inode() || !again.changed().equals(link.changed())) {
            throw refused(guestNames, name, "changed while it was read");
        }
        List<String> names = new ArrayList<>();
        if (text.startsWith("/")) {
            Path target = Path.of(text).normalize();
            if (!target.startsWith(root)) {
                throw refused(guestNames, name, "is a symbolic link that leads outside the root folder " + root);
            }
            names.add("/");
            for (Path part : root.relativize(target)) {
                names.add(part.toString());
            }
        } else {
            for (String part : text.split("/")) {
                names.add(part);
            }
        }
        return names;
    }

    private static FileSystemException refused(Deque<String> guestNames, String name, String why) {
        return new FileSystemException(null, null, name == null ? why : "the folder " + guestPath(guestNames, name) + " " + why);
    }

    static String guestPath(Deque<String> guestNames, String name) {
        StringBuilder path = new StringBuilder();
        for (String part : guestNames) {
            path.append('/').append(part);
        }
        if (name != null) {
            path.append('/').append(name);
        }
        return path.length() == 0 ? "/" : path.toString();
    }

    private static int ownUid() {
        try {
            return (Integer) java.nio.file.Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }
}
