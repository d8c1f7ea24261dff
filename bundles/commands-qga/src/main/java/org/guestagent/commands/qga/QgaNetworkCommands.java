package org.guestagent.commands.qga;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.guestagent.api.command.Command;
import org.guestagent.api.command.CommandArgument;
import org.guestagent.api.command.CommandException;
import org.guestagent.api.command.CommandSet;
import org.guestagent.api.command.ServesCommands;
import org.guestagent.ops.facts.GuestFacts;
import org.guestagent.ops.facts.GuestFacts.Counters;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * guest-network-get-interfaces: the running kernel's interfaces in index order, as qemu-ga lists
 * them (getifaddrs): name, hardware address, IPv4 then IPv6 addresses with their prefixes, and,
 * for an interface with addresses, the kernel's counters. Read-only; the interfaces come from the
 * guest-facts operation ({@link GuestFacts#interfaces()}).
 */
@Component(service = CommandSet.class)
@ServesCommands(commands = "guest-network-get-interfaces", protocols = "qga")
public class QgaNetworkCommands implements CommandSet {

    private final GuestFacts facts;

    @Activate
    public QgaNetworkCommands(@Reference(name = "facts") GuestFacts facts) {
        this.facts = facts;
    }

    @Command(value = "guest-network-get-interfaces", quiet = true)
    public String interfaces(CommandArgument argument) {
        QgaArguments.check(argument);
        List<GuestFacts.Nic> nics;
        try {
            nics = facts.interfaces();
        } catch (IOException e) {
            throw new CommandException(e.getMessage()); // "getifaddrs failed: ..." as qemu-ga
        }
        List<Object> result = new ArrayList<>();
        for (GuestFacts.Nic nic : nics) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("name", nic.name());
            entry.put("hardware-address", nic.mac().isEmpty() ? "00:00:00:00:00:00" : nic.mac());
            List<Object> addresses = new ArrayList<>();
            for (GuestFacts.Address a : nic.addresses()) {
                Map<String, Object> address = new LinkedHashMap<>();
                address.put("ip-address-type", a.ipv6() ? "ipv6" : "ipv4");
                address.put("ip-address", a.address());
                address.put("prefix", a.prefix());
                addresses.add(address);
            }
            if (!addresses.isEmpty()) {
                entry.put("ip-addresses", addresses);
                nic.counters().ifPresent(counters -> entry.put("statistics", statistics(counters)));
            }
            result.add(entry);
        }
        return Json.of(result);
    }

    /** qemu-ga's names of the kernel's counters. */
    private static Map<String, Object> statistics(Counters counters) {
        Map<String, Object> statistics = new LinkedHashMap<>();
        statistics.put("rx-bytes", counters.rxBytes());
        statistics.put("rx-packets", counters.rxPackets());
        statistics.put("rx-errs", counters.rxErrors());
        statistics.put("rx-dropped", counters.rxDropped());
        statistics.put("tx-bytes", counters.txBytes());
        statistics.put("tx-packets", counters.txPackets());
        statistics.put("tx-errs", counters.txErrors());
        statistics.put("tx-dropped", counters.txDropped());
        return statistics;
    }
}
