#!/usr/bin/python3
# A stand-in for RHSM's D-Bus service (com.redhat.RHSM1) in tests, shaped like subscription-manager's
# own: RegisterServer.Start on the bus opens a private server (a unix socket in a folder), whose
# Register.RegisterWithActivationKeys records what it was given. The key "refused-key" is refused
# the way RHSM refuses an unknown key.
# Usage: fake-rhsm.py BUS_ADDRESS PRIVATE_DIR RECORD_FILE
import json
import sys

import dbus
import dbus.exceptions
import dbus.server
import dbus.service
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

bus_address, private_dir, record = sys.argv[1:4]
DBusGMainLoop(set_as_default=True)


class Register(dbus.service.Object):
    @dbus.service.method("com.redhat.RHSM1.Register", in_signature="sasa{sv}a{sv}s", out_signature="s")
    def RegisterWithActivationKeys(self, org, keys, options, connection_options, locale):
        keys = [str(k) for k in keys]
        with open(record, "a") as f:
            f.write(json.dumps({"org": str(org), "keys": keys, "locale": str(locale)}) + "\n")
        if "refused-key" in keys:
            raise dbus.exceptions.DBusException(
                '{"exception": "RestlibException", "severity": "error", "message": '
                '"None of the activation keys specified exist for this org."}',
                name="com.redhat.RHSM1.Error")
        return json.dumps({"uuid": "fake-consumer"})


class PrivateServer(dbus.server.Server):
    def connection_added(self, connection):
        Register(connection, "/com/redhat/RHSM1/Register")


class RegisterServer(dbus.service.Object):
    def __init__(self, bus):
        super().__init__(bus, "/com/redhat/RHSM1/RegisterServer")
        self.server = None

    @dbus.service.method("com.redhat.RHSM1.RegisterServer", in_signature="s", out_signature="s")
    def Start(self, locale):
        if self.server is None:
            self.server = PrivateServer("unix:dir=" + private_dir)
        return self.server.address

    @dbus.service.method("com.redhat.RHSM1.RegisterServer", in_signature="s", out_signature="b")
    def Stop(self, locale):
        if self.server is not None:
            self.server.disconnect()
            self.server = None
        return True


bus = dbus.bus.BusConnection(bus_address)
name = dbus.service.BusName("com.redhat.RHSM1", bus)
service = RegisterServer(bus)
print("ready", flush=True)
GLib.MainLoop().run()
