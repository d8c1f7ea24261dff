package com.example.agent.vendor;

import org.guestagent.api.system.GuestFiles;
import org.guestagent.commands.network.spi.NetInterface;
import org.guestagent.commands.network.spi.NetworkBackend;
import org.guestagent.commands.network.spi.NetworkConfig;
import org.guestagent.commands.network.spi.NetworkPlan;
import org.guestagent.commands.network.spi.OsRelease;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** A vendor's network backend for the made-up OS "lateos": one line per interface in /etc/lateos/net.conf. */
@Component(service = NetworkBackend.class)
public class LateOsBackend implements NetworkBackend {
    static final String CONF = "/etc/lateos/net.conf";

    @Activate
    public LateOsBackend(@Reference GuestFiles files) {
        HeldBack.whileHeld(files, "the lateos backend");
    }

    @Override
    public String name() {
        return "lateos";
    }

    @Override
    public int match(OsRelease os, GuestFiles files) {
        return os.isLike("lateos") ? FAMILY : 0;
    }

    @Override
    public void plan(NetworkConfig config, OsRelease os, GuestFiles files, NetworkPlan plan) {
        StringBuilder out = new StringBuilder("# written by the lateos backend\n");
        for (NetInterface nic : config.interfaces()) {
            out.append(nic.name()).append(' ').append(nic.ipv4().isEmpty() ? "-" : nic.ipv4().get(0).cidr()).append('\n');
        }
        plan.write(CONF, out.toString());
    }
}
