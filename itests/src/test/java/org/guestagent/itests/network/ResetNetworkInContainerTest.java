package org.guestagent.itests.network;

import static org.guestagent.itests.support.Json.answer;
import static org.guestagent.itests.support.Json.request;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.options;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import javax.inject.Inject;

import org.guestagent.api.transport.Exchange;
import org.guestagent.api.hostdata.HostData;
import org.guestagent.api.runtime.PairingRegistry;
import org.guestagent.api.system.GuestFiles;
import org.guestagent.commands.network.spi.NetworkBackend;
import org.guestagent.commands.network.spi.NetworkConfig;
import org.guestagent.commands.network.spi.NetworkPlan;
import org.guestagent.commands.network.spi.OsRelease;
import org.guestagent.itests.support.AgentBundles;
import org.guestagent.itests.support.Await;
import org.guestagent.itests.support.QueueExchange;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;

/**
 * resetnetwork in the real container: the network bundle's components wire up through SCR, the
 * host data comes from the exchange that carried the request (a queue exchange, not XenStore), the
 * nova JSON parser carries request and answer, the
 * files land below the scratch root and the actions are recorded; a vendor backend with a higher
 * ranking takes over while it is registered.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ResetNetworkInContainerTest {

    /** The data's path, and its name in messages (as nova's hosts put it on XenStore). */
    private static final String KEY = "networking/deadbeef0001";
    private static final String NODE = "vm-data/networking/deadbeef0001";
    private static final String GOOD = "{\"label\": \"public\", \"mac\": \"DE:AD:BE:EF:00:01\", \"ips\": [{\"ip\": \"192.0.2.42\","
            + " \"netmask\": \"255.255.255.0\", \"enabled\": \"1\", \"gateway\": \"192.0.2.1\"}], \"dns\": [\"192.0.2.2\"]}";

    @Inject
    private BundleContext context;
    @Inject
    private PairingRegistry pairs;
    @Inject
    private GuestFiles files;

    private final Map<String, String> hostValues = new ConcurrentHashMap<>();
    private QueueExchange host;
    private ServiceRegistration<Exchange> exchange;

    @Configuration
    public Option[] config() throws IOException {
        Path root = AgentBundles.scratch("network-root");
        return options(AgentBundles.foundation(),
                AgentBundles.seam(),
                AgentBundles.network(),
                frameworkProperty("guestagent.root").value(root.toString()));
    }

    @Before
    public void prepareGuestAndHost() throws Exception {
        write("/etc/os-release", "ID=debian\nVERSION_ID=12\n");
        write("/sys/class/net/eth0/address", "de:ad:be:ef:00:01\n");
        write("/etc/hosts", "127.0.0.1\tlocalhost\n");
        hostValues.put("hostname", "web01");
        hostValues.put(KEY, GOOD);

        host = new QueueExchange("network-host").withHostData(new MapHostData(hostValues));
        exchange = host.register(context, pairs);
        Await.until("the network command set comes up",
                () -> host.call(request("features", "\"\"")).contains("resetnetwork"));
    }

    @After
    public void disconnect() {
        exchange.unregister();
    }

    @Test
    public void resetnetworkWritesTheDebianFilesAndRecordsTheActions() throws Exception {
        assertEquals(answer("0", ""), host.call(request("resetnetwork", "\"\"")));
        String interfaces = read("/etc/network/interfaces");
        assertTrue(interfaces, interfaces.contains("auto eth0\niface eth0 inet static\n    address 192.0.2.42\n"
                + "    netmask 255.255.255.0\n    gateway 192.0.2.1\n    dns-nameservers 192.0.2.2\n"));
        assertEquals("web01\n", read("/etc/hostname"));
        assertEquals("127.0.0.1\tlocalhost\n192.0.2.42\tweb01\n", read("/etc/hosts"));
        List<String> log = Files.readAllLines(files.root().resolve("var/lib/guest-agent/actions.log"));
        assertTrue(log.toString(), log.contains("sethostname web01"));
        assertTrue(log.toString(), log.contains("run ifup eth0"));
    }

    @Test
    public void theNetworkDataIsThatOfTheExchangeThatCarriedTheRequest() throws Exception {
        QueueExchange bare = new QueueExchange("no-host-data");
        ServiceRegistration<Exchange> bareExchange = bare.register(context, pairs);
        Map<String, String> otherValues = new ConcurrentHashMap<>();
        otherValues.put("hostname", "db02");
        otherValues.put(KEY, GOOD.replace("192.0.2.42", "192.0.2.77"));
        QueueExchange other = new QueueExchange("other-host").withHostData(new MapHostData(otherValues));
        ServiceRegistration<Exchange> otherExchange = other.register(context, pairs);
        try {
            assertEquals(answer("500", "There is no network data: the exchange this request came through carries none from the host"),
                    bare.call(request("resetnetwork", "\"\"")));
            assertEquals(answer("0", ""), other.call(request("resetnetwork", "\"\"")));
            assertEquals("db02\n", read("/etc/hostname"));
            assertTrue(read("/etc/network/interfaces").contains("address 192.0.2.77\n"));
            assertEquals(answer("0", ""), host.call(request("resetnetwork", "\"\"")));
            assertEquals("web01\n", read("/etc/hostname"));
            assertTrue(read("/etc/network/interfaces").contains("address 192.0.2.42\n"));
        } finally {
            bareExchange.unregister();
            otherExchange.unregister();
        }
    }

    @Test
    public void badDataIsA500NamingTheProblem() throws Exception {
        hostValues.put(KEY, GOOD.replace("255.255.255.0", "255.0.255.0"));
        assertEquals(answer("500", "Network data " + NODE + " (eth0): 'netmask' 255.0.255.0 of ips[0] is not a valid netmask"),
                host.call(request("resetnetwork", "\"\"")));
    }

    @Test
    public void unknownOsIsCouldntFigureOutMyOs() throws Exception {
        write("/etc/os-release", "ID=plan9\n");
        assertEquals(answer("500", "Couldn't figure out my OS"), host.call(request("resetnetwork", "\"\"")));
    }

    @Test
    public void aVendorBackendWithAHigherRankingTakesOver() throws Exception {
        Hashtable<String, Object> properties = new Hashtable<>();
        properties.put(Constants.SERVICE_RANKING, 100);
        ServiceRegistration<NetworkBackend> vendor = context.registerService(NetworkBackend.class, new VendorBackend(), properties);
        try {
            assertEquals(answer("0", ""), host.call(request("resetnetwork", "\"\"")));
            assertEquals("eth0 192.0.2.42/24\n", read("/etc/vendor/net.conf"));
        } finally {
            vendor.unregister();
        }
    }

    private void write(String guestPath, String content) throws IOException {
        Path path = files.root().resolve(guestPath.substring(1));
        Files.createDirectories(path.getParent());
        Files.writeString(path, content);
    }

    private String read(String guestPath) throws IOException {
        return new String(Files.readAllBytes(files.root().resolve(guestPath.substring(1))), StandardCharsets.UTF_8);
    }

    /** A vendor's backend for every OS. */
    private static final class VendorBackend implements NetworkBackend {
        @Override
        public String name() {
            return "vendor";
        }

        @Override
        public int match(OsRelease os, GuestFiles files) {
            return FALLBACK;
        }

        @Override
        public void plan(NetworkConfig config, OsRelease os, GuestFiles files, NetworkPlan plan) {
            config.interfaces().forEach(i -> plan.write("/etc/vendor/net.conf", i.name() + " " + i.ipv4().get(0).cidr() + "\n"));
        }
    }

    /** Host data from a map the test changes. */
    private static final class MapHostData implements HostData {
        private final Map<String, String> values;

        MapHostData(Map<String, String> values) {
            this.values = values;
        }

        @Override
        public String where(String path) {
            return "vm-data/" + path;
        }

        @Override
        public Optional<String> read(String path) {
            return Optional.ofNullable(values.get(path));
        }

        @Override
        public List<String> children(String path) {
            return values.keySet().stream().filter(k -> k.startsWith(path + "/"))
                    .map(k -> k.substring(path.length() + 1).split("/")[0]).distinct().sorted().toList();
        }
    }
}
