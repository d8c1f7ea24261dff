package org.guestagent.commands.network.spi;

import java.io.IOException;
import java.util.Map;

import org.osgi.annotation.versioning.ConsumerType;

/** The guest's network interfaces. A system without Linux sysfs publishes its own. */
@ConsumerType
public interface NicInventory {

    /** Every NIC with a hardware address: MAC (lower case, colons) to interface name. */
    Map<String, String> nics() throws IOException;
}
