package org.guestagent.testsupport;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.guestagent.api.system.SystemActions;

/** Records the commands it is asked to run and answers with a chosen result. */
public final class TestSystemActions implements SystemActions {
    public final List<List<String>> commands = new CopyOnWriteArrayList<>();
    public volatile String folderMode;
    public volatile ExecResult answer = new ExecResult(0, "", "");

    @Override
    public void setHostname(String hostname) {
        throw new UnsupportedOperationException();
    }

    @Override
    public ExecResult run(List<String> command, byte[] input, Duration timeout) {
        try {
            // the installer's folder lies in the private download folder: note its mode while it exists
            java.nio.file.Path last = java.nio.file.Path.of(command.get(command.size() - 1));
            if (last.getParent() != null && java.nio.file.Files.isDirectory(last.getParent())) {
                folderMode = java.nio.file.attribute.PosixFilePermissions.toString(
                        java.nio.file.Files.getPosixFilePermissions(last.getParent()));
            }
        } catch (java.io.IOException | java.nio.file.InvalidPathException e) {
            folderMode = null;
        }
        commands.add(List.copyOf(command)); // last: a test that saw the command may read folderMode
        return answer;
    }

    @Override
    public boolean isRecording() {
        return true;
    }

    @Override
    public List<String> recorded() {
        return commands.stream().map(c -> String.join(" ", c)).toList();
    }
}
