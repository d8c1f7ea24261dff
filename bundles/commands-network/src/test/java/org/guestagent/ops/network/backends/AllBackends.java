package org.guestagent.ops.network.backends;

import java.util.List;

import org.guestagent.commands.network.spi.NetworkBackend;

/** Every built-in backend, as the container would publish them. */
public final class AllBackends {

    private AllBackends() {
    }

    public static List<NetworkBackend> create() {
        return List.of(new DebianInterfacesBackend(), new NetplanBackend(), new RedHatIfcfgBackend(),
                new NetworkManagerKeyfileBackend(), new SystemdNetworkdBackend(), new SuseBackend(),
                new GentooBackend(), new ArchNetctlBackend(), new FreeBsdRcConfBackend(), new AlpineInterfacesBackend());
    }
}
