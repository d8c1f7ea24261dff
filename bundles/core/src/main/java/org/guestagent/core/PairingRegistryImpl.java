package org.guestagent.core;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

import org.guestagent.api.command.MapSession;
import org.guestagent.api.runtime.CommandRegistry;
import org.guestagent.api.transport.Exchange;
import org.guestagent.api.runtime.PairingRegistry;
import org.guestagent.api.transport.Parser;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * Pairs every {@link Exchange} with the best {@link Parser} of the same protocol and runs one
 * {@link Dispatcher} per pair. Pairs form and dissolve as services come and go; a dissolving
 * pair answers the request in hand first.
 */
// Immediate: the dispatchers must run although no one asks for this service.
@Component(service = PairingRegistry.class, immediate = true)
public class PairingRegistryImpl implements PairingRegistry {
    private static final System.Logger LOG = System.getLogger(PairingRegistryImpl.class.getName());
    /** How long a stopping dispatcher may take to answer the request in hand. */
    private static final long STOP_WAIT_MILLIS = 130_000;

    /** A service and the properties we pair by. */
    private record Offer<S>(S service, long id, int ranking, String protocol, String name) {
    }

    private final Map<Long, Offer<Exchange>> exchanges = new HashMap<>();
    private final Map<Long, Offer<Parser>> parsers = new HashMap<>();
    private final Map<Long, Dispatcher> dispatchers = new TreeMap<>();
    private final Map<Long, MapSession> sessions = new HashMap<>();
    @Reference
    private CommandRegistry commands;
    private boolean active;

    @Activate
    synchronized void activate() {
        active = true;
        repair();
    }

    @Deactivate
    void deactivate() {
        List<Dispatcher> stopping;
        synchronized (this) {
            active = false;
            stopping = new ArrayList<>(dispatchers.values());
            dispatchers.clear();
        }
        stopping.forEach(d -> d.stop(STOP_WAIT_MILLIS));
    }

    @Reference(service = Exchange.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC)
    void addExchange(ServiceReference<Exchange> ref, Exchange exchange) {
        synchronized (this) {
            exchanges.put(id(ref), offer(ref, exchange));
        }
        repairAndStopOld();
    }

    void removeExchange(ServiceReference<Exchange> ref) {
        synchronized (this) {
            exchanges.remove(id(ref));
            sessions.remove(id(ref));
        }
        repairAndStopOld();
    }

    @Reference(service = Parser.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC)
    void addParser(ServiceReference<Parser> ref, Parser parser) {
        synchronized (this) {
            parsers.put(id(ref), offer(ref, parser));
        }
        repairAndStopOld();
    }

    void removeParser(ServiceReference<Parser> ref) {
        synchronized (this) {
            parsers.remove(id(ref));
        }
        repairAndStopOld();
    }

    @Override
    public synchronized List<PairInfo> pairs() {
        return dispatchers.values().stream().map(Dispatcher::info).toList();
    }

    /** The names of the dispatchers stuck for longer than the limit ({@link Dispatcher#isStuck}). */
    synchronized List<String> stuckDispatchers(long limitNanos) {
        return dispatchers.values().stream().filter(d -> d.isStuck(limitNanos)).map(Dispatcher::name).toList();
    }

    private void repairAndStopOld() {
        repair().forEach(d -> d.stop(STOP_WAIT_MILLIS));
    }

    /**
     * Brings the running dispatchers in line with the services present.
     *
     * @return dispatchers taken out of service, to be stopped outside the lock
     */
    private synchronized List<Dispatcher> repair() {
        List<Dispatcher> retired = new ArrayList<>();
        if (!active) {
            return retired;
        }
        for (var it = dispatchers.entrySet().iterator(); it.hasNext();) {
            var entry = it.next();
            Offer<Exchange> exchange = exchanges.get(entry.getKey());
            Offer<Parser> parser = exchange == null ? null : bestParser(exchange.protocol());
            if (parser == null || parser.service() != entry.getValue().parser()) {
                retired.add(entry.getValue());
                it.remove();
            }
        }
        for (Offer<Exchange> exchange : exchanges.values()) {
            if (dispatchers.containsKey(exchange.id())) {
                continue;
            }
            Offer<Parser> parser = bestParser(exchange.protocol());
            if (parser == null) {
                LOG.log(Level.INFO, "Exchange {0} waits for a parser of protocol ''{1}''", exchange.name(),
                        exchange.protocol());
                continue;
            }
            MapSession session = sessions.computeIfAbsent(exchange.id(),
                    id -> new MapSession(exchange.protocol() + "#" + id));
            Dispatcher dispatcher = new Dispatcher(exchange.protocol(), exchange.service(), parser.service(),
                    parser.name(), session, commands);
            dispatchers.put(exchange.id(), dispatcher);
            dispatcher.start();
        }
        return retired;
    }

    private Offer<Parser> bestParser(String protocol) {
        return parsers.values().stream()
                .filter(p -> Objects.equals(p.protocol(), protocol))
                .min(Comparator.comparingInt((Offer<Parser> p) -> p.ranking()).reversed()
                        .thenComparingLong(Offer::id))
                .orElse(null);
    }

    private static <S> Offer<S> offer(ServiceReference<S> ref, S service) {
        Object protocol = ref.getProperty(Exchange.PROTOCOL);
        int ranking = ref.getProperty(Constants.SERVICE_RANKING) instanceof Integer r ? r : 0;
        String name = service instanceof Exchange e ? e.describe() : service.getClass().getName();
        return new Offer<>(service, id(ref), ranking, protocol == null ? null : protocol.toString(), name);
    }

    private static long id(ServiceReference<?> ref) {
        return (Long) ref.getProperty(Constants.SERVICE_ID);
    }
}
