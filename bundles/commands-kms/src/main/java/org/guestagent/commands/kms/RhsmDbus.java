package org.guestagent.commands.kms;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.freedesktop.dbus.annotations.DBusInterfaceName;
import org.freedesktop.dbus.annotations.DBusMemberName;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.connections.impl.DBusConnectionBuilder;
import org.freedesktop.dbus.connections.impl.DirectConnection;
import org.freedesktop.dbus.connections.impl.DirectConnectionBuilder;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.exceptions.DBusExecutionException;
import org.freedesktop.dbus.interfaces.DBusInterface;
import org.freedesktop.dbus.messages.MethodCall;
import org.freedesktop.dbus.types.Variant;

/**
 * Registration through RHSM's D-Bus API (the rhsm service of subscription-manager), so that the
 * activation key never appears on a command line (readable by every local user in /proc). As
 * RHSM wants it: {@code RegisterServer.Start} on the system bus opens a private server, the
 * registration call goes over a direct connection to it, {@code Stop} closes it again.
 */
final class RhsmDbus {
    static final String BUS_NAME = "com.redhat.RHSM1";
    static final String REGISTER_SERVER_PATH = "/com/redhat/RHSM1/RegisterServer";
    static final String REGISTER_PATH = "/com/redhat/RHSM1/Register";
    private static final String LOCALE = "en_US.UTF-8";

    /** com.redhat.RHSM1.RegisterServer on the system bus. */
    @DBusInterfaceName("com.redhat.RHSM1.RegisterServer")
    public interface RegisterServer extends DBusInterface {
        /** Opens the private server; returns its D-Bus address. */
        @DBusMemberName("Start")
        String start(String locale);

        @DBusMemberName("Stop")
        boolean stop(String locale);
    }

    /** com.redhat.RHSM1.Register on the private server. */
    @DBusInterfaceName("com.redhat.RHSM1.Register")
    public interface Register extends DBusInterface {
        /** Returns the new consumer as JSON. */
        @DBusMemberName("RegisterWithActivationKeys")
        String registerWithActivationKeys(String org, List<String> activationKeys, Map<String, Variant<?>> options,
                Map<String, Variant<?>> connectionOptions, String locale);
    }

    /** The D-Bus API cannot be used (no bus, no RHSM service, no way to reach its private server). */
    static final class Unavailable extends Exception {
        private static final long serialVersionUID = 1L;

        Unavailable(String reason) {
            super(reason);
        }
    }

    /** RHSM took the request and refused it; its message (the key removed) says why. */
    static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;

        Refused(String message) {
            super(message);
        }
    }

    private RhsmDbus() {
    }

    /**
     * Registers with the activation key; org may be empty. Unavailable before the key was sent
     * (the caller may fall back to another way), Refused when RHSM answered with an error.
     */
    static void register(Path systemBusSocket, String org, String key, Duration timeout) throws Unavailable, Refused {
        if (!Files.exists(systemBusSocket)) {
            throw new Unavailable("there is no system bus at " + systemBusSocket);
        }
        try {
            MethodCall.setDefaultTimeout(timeout.toMillis()); // this bundle's own copy of the library
            try (DBusConnection bus = DBusConnectionBuilder.forAddress("unix:path=" + systemBusSocket)
                    .transportConfig().withServiceLoaderClassLoader(RhsmDbus.class.getClassLoader()).back()
                    .withShared(false).build()) {
                RegisterServer server = bus.getRemoteObject(BUS_NAME, REGISTER_SERVER_PATH, RegisterServer.class);
                String address;
                try {
                    address = server.start(LOCALE);
                } catch (DBusExecutionException e) {
                    throw new Unavailable("RHSM's RegisterServer does not answer: " + e.getMessage());
                }
                try {
                    registerOver(address, org, key);
                } finally {
                    stopQuietly(server);
                }
            }
        } catch (DBusException | java.io.IOException e) {
            throw new Unavailable("D-Bus: " + e.getMessage());
        } catch (LinkageError e) {
            // the JDK packages the unix socket transport needs are not visible in this framework
            throw new Unavailable("the D-Bus library cannot run here: " + e);
        }
    }

    private static void registerOver(String address, String org, String key) throws Unavailable, Refused, DBusException, java.io.IOException {
        DirectConnection direct;
        try {
            direct = DirectConnectionBuilder.forAddress(address)
                    .transportConfig().withServiceLoaderClassLoader(RhsmDbus.class.getClassLoader()).back().build();
        } catch (DBusException | RuntimeException e) {
            throw new Unavailable("RHSM's private server at " + address + " cannot be reached: " + e.getMessage());
        }
        try (direct) {
            Register register = direct.getRemoteObject(REGISTER_PATH, Register.class);
            try {
                register.registerWithActivationKeys(org == null ? "" : org, List.of(key), Map.of(), Map.of(), LOCALE);
            } catch (DBusExecutionException e) {
                String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
                throw new Refused(KmsActivateCommands.redact(message, key));
            }
        }
    }

    private static void stopQuietly(RegisterServer server) {
        try {
            server.stop(LOCALE);
        } catch (RuntimeException e) {
            // the private server goes away by itself when RHSM's idle timer runs out
        }
    }
}
