package org.guestagent.commands.network;

import java.io.IOException;
import java.io.InputStream;
import java.util.Iterator;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** A host data set from src/test/resources/network/scenarios, loaded into a test guest. */
final class Scenario {

    static final String[] NAMES = {"ipv4", "ipv6", "dual-stack", "multiple-addresses", "two-nics", "static-routes", "no-dns"};
    private static final ObjectMapper JSON = new ObjectMapper();

    private Scenario() {
    }

    static JsonNode load(String name) throws IOException {
        try (InputStream in = Scenario.class.getResourceAsStream("/network/scenarios/" + name + ".json")) {
            if (in == null) {
                throw new IOException("no scenario " + name);
            }
            return JSON.readTree(in);
        }
    }

    /** Gives the guest the scenario's NICs, hostname and networking nodes (as JSON text). */
    static TestGuest apply(String name, TestGuest guest) throws IOException {
        JsonNode scenario = load(name);
        for (Iterator<Map.Entry<String, JsonNode>> it = scenario.get("nics").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> nic = it.next();
            guest.nic(nic.getKey(), nic.getValue().asText().toLowerCase());
        }
        return applyHostData(name, guest);
    }

    /** Gives the guest only the scenario's hostname and networking nodes, for a guest that lists its NICs otherwise. */
    static TestGuest applyHostData(String name, TestGuest guest) throws IOException {
        JsonNode scenario = load(name);
        if (scenario.has("hostname")) {
            guest.hostname(scenario.get("hostname").asText());
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = scenario.get("networking").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> node = it.next();
            guest.interfaceNode(node.getKey(), JSON.writeValueAsString(node.getValue()));
        }
        return guest;
    }
}
