package org.guestagent.commands.network;

import java.io.IOException;
import java.nio.file.Files;
import java.util.Map;

import org.guestagent.api.system.GuestFiles;
import org.guestagent.api.system.SystemActions;
import org.guestagent.commands.network.spi.NicInventory;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The guest's NICs: from sysfs where the guest has {@code /sys/class/net} (Linux), else from
 * {@code ifconfig -a} (FreeBSD). Decided on each call, so a guest root prepared later still counts.
 * A vendor bundle can replace it by publishing a NicInventory with a higher service ranking.
 */
@Component(service = NicInventory.class)
public class GuestNicInventory implements NicInventory {

    static final String SYSFS_NET = "/sys/class/net";

    private final GuestFiles files;
    private final SysfsNicInventory sysfs;
    private final IfconfigNicInventory ifconfig;

    @Activate
    public GuestNicInventory(@Reference GuestFiles files, @Reference SystemActions actions) {
        this.files = files;
        this.sysfs = new SysfsNicInventory(files);
        this.ifconfig = new IfconfigNicInventory(actions);
    }

    @Override
    public Map<String, String> nics() throws IOException {
        return Files.isDirectory(files.resolve(SYSFS_NET)) ? sysfs.nics() : ifconfig.nics();
    }
}
