package org.guestagent.ops.network.apply;

import java.io.IOException;
import java.util.Map;

import org.guestagent.commands.network.spi.NicInventory;
import org.guestagent.ops.facts.GuestFacts;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The guest's NICs as the guest facts know them (sysfs below the guest root, else
 * {@code ifconfig -a}). A vendor bundle can replace it by publishing a NicInventory with a higher
 * service ranking.
 */
@Component(service = NicInventory.class)
public class GuestNicInventory implements NicInventory {

    private final GuestFacts facts;

    @Activate
    public GuestNicInventory(@Reference(name = "facts") GuestFacts facts) {
        this.facts = facts;
    }

    @Override
    public Map<String, String> nics() throws IOException {
        return facts.nicsByMac();
    }
}
