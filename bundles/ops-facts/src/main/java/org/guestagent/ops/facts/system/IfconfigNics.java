package org.guestagent.ops.facts.system;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.guestagent.api.system.SystemActions;
import org.guestagent.api.system.SystemActions.ExecResult;
import org.guestagent.ops.facts.Macs;

/**
 * Lists NICs from {@code ifconfig -a}, for systems without sysfs (FreeBSD). Each interface starts
 * with an unindented {@code name: flags=...} line; its MAC is the indented {@code ether} line.
 * Loopback and interfaces without an Ethernet address are left out; when several interfaces share
 * a MAC (VLANs, bridges), the first listed wins, which is the physical NIC created at boot.
 */
public final class IfconfigNics {

    public static final List<String> COMMAND = List.of("ifconfig", "-a");
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final String NO_MAC = "00:00:00:00:00:00";
    private static final Pattern HEADER = Pattern.compile("^([^\\s:]+):\\s.*");
    private static final Pattern ETHER = Pattern.compile("^\\s+ether\\s+(\\S+).*");

    private final SystemActions actions;

    public IfconfigNics(SystemActions actions) {
        this.actions = actions;
    }

    /** MAC (lower case, colons) to interface name. */
    public Map<String, String> byMac() throws IOException {
        ExecResult result = actions.run(COMMAND, null, TIMEOUT);
        if (!result.ok()) {
            String detail = result.stderr().strip().split("\n")[0];
            throw new IOException("'" + String.join(" ", COMMAND) + "' exited with " + result.exitCode()
                    + (detail.isEmpty() ? "" : ": " + detail));
        }
        return parse(result.stdout());
    }

    /** MAC (lower case, colons) to interface name, from the text {@code ifconfig -a} prints. */
    public static Map<String, String> parse(String output) {
        Map<String, String> byMac = new TreeMap<>();
        String name = null;
        boolean loopback = false;
        for (String line : output.split("\n")) {
            Matcher header = HEADER.matcher(line);
            if (header.matches()) {
                name = header.group(1);
                loopback = line.contains("LOOPBACK");
                continue;
            }
            Matcher ether = ETHER.matcher(line);
            if (name == null || loopback || !ether.matches()) {
                continue;
            }
            String mac = Macs.normalise(ether.group(1));
            if (mac != null && !mac.equals(NO_MAC)) {
                byMac.putIfAbsent(mac, name);
            }
            name = null; // one MAC per interface
        }
        return byMac;
    }
}
