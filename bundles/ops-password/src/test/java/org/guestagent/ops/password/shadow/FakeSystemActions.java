package org.guestagent.ops.password.shadow;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.guestagent.api.system.SystemActions;

/** Writes down the programs it is asked to run and answers with a chosen exit code. */
public final class FakeSystemActions implements SystemActions {

    public final List<List<String>> runs = new ArrayList<>();
    public int exitCode;

    @Override
    public void setHostname(String hostname) {
        throw new UnsupportedOperationException("not used by the password operation or its commands");
    }

    @Override
    public synchronized ExecResult run(List<String> command, byte[] input, Duration timeout) {
        runs.add(List.copyOf(command));
        return new ExecResult(exitCode, "", exitCode == 0 ? "" : "pwd_mkdb: cannot open database");
    }

    @Override
    public boolean isRecording() {
        return true;
    }

    @Override
    public synchronized List<String> recorded() {
        List<String> lines = new ArrayList<>();
        runs.forEach(run -> lines.add(String.join(" ", run)));
        return lines;
    }
}
