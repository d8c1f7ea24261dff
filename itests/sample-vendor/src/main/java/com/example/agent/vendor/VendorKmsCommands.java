package com.example.agent.vendor;

import org.guestagent.api.Command;
import org.guestagent.api.CommandSet;
import org.guestagent.api.system.GuestFiles;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** A vendor's own kmsactivate, overriding the built-in one by its higher service ranking. */
@Component(service = CommandSet.class, property = "service.ranking:Integer=100")
public class VendorKmsCommands implements CommandSet {

    @Activate
    public VendorKmsCommands(@Reference GuestFiles files) {
        HeldBack.whileHeld(files, "kmsactivate");
    }

    @Command("kmsactivate")
    public String kmsactivate() {
        return "activated by the vendor";
    }
}
