package org.guestagent.xenstore.simulator;

import static org.guestagent.xenstore.XsMessage.PAYLOAD_MAX;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.guestagent.xenstore.XsMessage;
import org.guestagent.xenstore.XsOperation;

/**
 * The xenstored logic: executes one request of one connection against the tree, answers it,
 * and fires watch events. Everything runs under this object's lock, one request at a time, so
 * a reply and the events it causes go out in a consistent order.
 */
final class Store {

    private static final System.Logger LOG = System.getLogger(Store.class.getName());
    private static final byte[] OK = XsMessage.strings("OK");

    /** A change that can run on the committed tree or in a transaction. */
    @FunctionalInterface
    interface Mutation {
        void apply(View view, List<Change> changes) throws Errno;
    }

    /** A changed node; a removal also fires the watches set below the removed node. */
    record Change(String abs, boolean removal) {
    }

    /** A registered watch: the path as given (relative or not), its absolute form, and the token. */
    record Watch(String path, String abs, String token) {
        boolean relative() {
            return !path.startsWith("/") && !path.startsWith("@");
        }
    }

    /** C xenstored's default for nodes per domain (--entry-nb / quota nodes). */
    static final int DEFAULT_NODE_QUOTA = 1000;

    private final Tree tree = new Tree();
    private int nodeQuota = DEFAULT_NODE_QUOTA;
    private final Map<Integer, Transaction> transactions = new HashMap<>();
    private final Set<Connection> connections = new LinkedHashSet<>();
    private final Set<Integer> introduced = new HashSet<>();
    private final Path stateFile;
    private int nextTransaction = 1;
    private View.Entry listedNode;
    private long listedGeneration;
    private byte[] listedBytes;

    /** @param stateFile where to keep the tree across restarts (written after every change), or null */
    Store(Path stateFile) {
        this.stateFile = stateFile;
        if (stateFile != null && Files.exists(stateFile)) {
            load();
        }
    }

    synchronized void ensureHome(int domid) {
        for (String abs : new String[] {"/local", "/local/domain", Paths.home(domid)}) {
            if (tree.get(abs) == null) {
                tree.put(abs, new byte[0], abs.equals(Paths.home(domid)) ? List.of("n" + domid) : List.of("n0"));
            }
        }
    }

    synchronized void nodeQuota(int quota) {
        this.nodeQuota = quota;
    }

    synchronized int nodeQuota() {
        return nodeQuota;
    }

    /** Nodes the domain owns, as counted against its quota. */
    synchronized int nodesOwnedBy(int domid) {
        return tree.owned(domid);
    }

    synchronized void connected(Connection connection) {
        connections.add(connection);
    }

    synchronized void disconnected(Connection connection) {
        connections.remove(connection);
        transactions.values().removeIf(tx -> connection.transactions.contains(tx.id));
        connection.transactions.clear();
        connection.watches.clear();
    }

    synchronized int connectionCount() {
        return connections.size();
    }

    /** Executes one request and queues its reply, then the watch events it caused. */
    synchronized void handle(Connection conn, XsMessage request) {
        List<Change> changes = new ArrayList<>();
        List<Runnable> afterReply = new ArrayList<>();
        XsMessage reply;
        try {
            byte[] payload = execute(conn, request, changes, afterReply);
            if (payload.length > PAYLOAD_MAX) {
                throw new Errno("E2BIG");
            }
            reply = new XsMessage(request.type(), request.reqId(), request.txId(), payload);
        } catch (Errno e) {
            reply = XsMessage.of(XsOperation.ERROR, request.reqId(), request.txId(), XsMessage.strings(e.errnoName()));
            afterReply.clear();
            changes.clear();
        }
        conn.send(reply);
        afterReply.forEach(Runnable::run);
        for (Change change : changes) {
            fire(change);
        }
        if (!changes.isEmpty() && stateFile != null) {
            save();
        }
    }

    /** Answers a request whose payload exceeded the limit (its body was skipped). */
    void tooBig(Connection conn, XsMessage.Header header) {
        conn.send(XsMessage.of(XsOperation.ERROR, header.reqId(), header.txId(), XsMessage.strings("E2BIG")));
    }

    private byte[] execute(Connection conn, XsMessage req, List<Change> changes, List<Runnable> afterReply) throws Errno {
        XsOperation op = req.operation();
        if (op == null) {
            throw new Errno("EINVAL");
        }
        byte[] payload = req.payload();
        switch (op) {
            case READ:
                return existing(view(conn, req), path(conn, payload)).value();
            case DIRECTORY:
                return names(existing(view(conn, req), path(conn, payload)).childNames());
            case DIRECTORY_PART:
                return directoryPart(conn, req);
            case GET_PERMS:
                return strings(existing(view(conn, req), path(conn, payload)).perms());
            case WRITE: {
                int nul = indexOfNul(payload);
                if (nul < 0) {
                    throw new Errno("EINVAL");
                }
                String abs = Paths.canonical(new String(payload, 0, nul, StandardCharsets.UTF_8), conn.domid);
                byte[] value = java.util.Arrays.copyOfRange(payload, nul + 1, payload.length);
                int quota = nodeQuota;
                return mutate(conn, req, changes, (v, ch) -> write(v, abs, value, conn.domid, quota, ch));
            }
            case MKDIR: {
                String abs = path(conn, payload);
                int quota = nodeQuota;
                return mutate(conn, req, changes, (v, ch) -> mkdir(v, abs, conn.domid, quota, ch));
            }
            case RM: {
                String abs = path(conn, payload);
                return mutate(conn, req, changes, (v, ch) -> rm(v, abs, ch));
            }
            case SET_PERMS: {
                List<String> args = args(payload, 2, Integer.MAX_VALUE);
                String abs = Paths.canonical(args.get(0), conn.domid);
                List<String> perms = args.subList(1, args.size());
                for (String perm : perms) {
                    if (!perm.matches("[nrwb][0-9]+")) {
                        throw new Errno("EINVAL");
                    }
                }
                return mutate(conn, req, changes, (v, ch) -> {
                    v.put(abs, existing(v, abs).value(), perms);
                    ch.add(new Change(abs, false));
                });
            }
            case WATCH:
                return watch(conn, args(payload, 2, 2), afterReply);
            case UNWATCH: {
                List<String> args = args(payload, 2, 2);
                String abs = args.get(0).startsWith("@") ? args.get(0) : Paths.canonical(args.get(0), conn.domid);
                if (!conn.watches.removeIf(w -> w.abs().equals(abs) && w.token().equals(args.get(1)))) {
                    throw new Errno("ENOENT");
                }
                return OK;
            }
            case RESET_WATCHES:
                conn.watches.clear();
                return OK;
            case TRANSACTION_START: {
                int id = nextTransaction++;
                if (nextTransaction <= 0) {
                    nextTransaction = 1;
                }
                transactions.put(id, new Transaction(id, tree));
                conn.transactions.add(id);
                return XsMessage.strings(Integer.toString(id));
            }
            case TRANSACTION_END:
                return endTransaction(conn, req, changes);
            case GET_DOMAIN_PATH:
                return XsMessage.strings(Paths.home(domid(args(payload, 1, 1).get(0))));
            case IS_DOMAIN_INTRODUCED: {
                int domid = domid(args(payload, 1, 1).get(0));
                return XsMessage.strings(domid == 0 || introduced.contains(domid) ? "T" : "F");
            }
            case INTRODUCE: {
                privileged(conn);
                int domid = domid(args(payload, 3, 3).get(0));
                introduced.add(domid);
                changes.add(new Change("@introduceDomain", false));
                return OK;
            }
            case RELEASE: {
                privileged(conn);
                int domid = domid(args(payload, 1, 1).get(0));
                if (!introduced.remove(domid)) {
                    throw new Errno("ENOENT");
                }
                changes.add(new Change("@releaseDomain", false));
                return OK;
            }
            case RESUME:
                privileged(conn);
                domid(args(payload, 1, 1).get(0));
                return OK;
            case SET_TARGET: {
                privileged(conn);
                List<String> args = args(payload, 2, 2);
                domid(args.get(0));
                domid(args.get(1));
                return OK;
            }
            default: // WATCH_EVENT and ERROR are never requests
                throw new Errno("EINVAL");
        }
    }

    // ---- operations ----

    private static void write(View v, String abs, byte[] value, int domid, int quota, List<Change> changes) throws Errno {
        checkQuota(v, abs, domid, quota);
        createParents(v, abs, domid);
        View.Entry existing = v.get(abs);
        v.put(abs, value, existing != null ? existing.perms() : inherited(v, abs, domid));
        changes.add(new Change(abs, false));
    }

    private static void mkdir(View v, String abs, int domid, int quota, List<Change> changes) throws Errno {
        if (v.get(abs) != null) {
            return;
        }
        checkQuota(v, abs, domid, quota);
        createParents(v, abs, domid);
        v.put(abs, new byte[0], inherited(v, abs, domid));
        changes.add(new Change(abs, false));
    }

    /** Like xenstored: removing a missing node is fine when its parent exists. */
    private static void rm(View v, String abs, List<Change> changes) throws Errno {
        if (abs.equals("/")) {
            throw new Errno("EINVAL");
        }
        if (v.get(abs) == null) {
            if (v.get(Paths.parent(abs)) == null) {
                throw new Errno("ENOENT");
            }
            return;
        }
        v.remove(abs);
        changes.add(new Change(abs, true));
    }

    /**
     * The node quota, as C xenstored keeps it: nodes are charged to their owner (the first
     * permission entry), and only an unprivileged domain's new nodes are checked, against the
     * nodes it owns. Nodes dom0 creates below a guest's home inherit the guest as owner, so they
     * count for the guest (a host's pending requests use up the guest's quota) but are never refused.
     * C xenstored answers ENOSPC here, oxenstored EQUOTA; the simulator answers EQUOTA.
     */
    private static void checkQuota(View v, String abs, int domid, int quota) throws Errno {
        if (domid == 0) {
            return;
        }
        int created = 0;
        for (String p = abs; v.get(p) == null; p = Paths.parent(p)) {
            created++;
        }
        if (created > 0 && v.owned(domid) + created > quota) {
            throw new Errno("EQUOTA");
        }
    }

    private static void createParents(View v, String abs, int domid) {
        List<String> missing = new ArrayList<>();
        for (String p = Paths.parent(abs); v.get(p) == null; p = Paths.parent(p)) {
            missing.add(0, p);
        }
        for (String p : missing) {
            v.put(p, new byte[0], inherited(v, p, domid));
        }
    }

    /** A new node gets its parent's permissions, owned by the creating domain (unless dom0). */
    private static List<String> inherited(View v, String abs, int domid) {
        List<String> perms = new ArrayList<>(v.get(Paths.parent(abs)).perms());
        if (domid != 0) {
            perms.set(0, perms.get(0).charAt(0) + Integer.toString(domid));
        }
        return perms;
    }

    private byte[] mutate(Connection conn, XsMessage req, List<Change> changes, Mutation mutation) throws Errno {
        Transaction tx = transaction(conn, req);
        if (tx == null) {
            mutation.apply(tree, changes);
        } else {
            mutation.apply(tx, new ArrayList<>()); // watches fire on commit
            tx.log.add(mutation);
        }
        return OK;
    }

    private byte[] endTransaction(Connection conn, XsMessage req, List<Change> changes) throws Errno {
        String verdict = args(req.payload(), 1, 1).get(0);
        if (!verdict.equals("T") && !verdict.equals("F")) {
            throw new Errno("EINVAL");
        }
        Transaction tx = transaction(conn, req);
        if (tx == null) {
            throw new Errno("ENOENT");
        }
        transactions.remove(tx.id);
        conn.transactions.remove(tx.id);
        if (verdict.equals("T")) {
            if (!tx.stillValid()) {
                throw new Errno("EAGAIN");
            }
            // other connections may have used up the quota since the transaction counted
            if (conn.domid != 0 && tx.delta(conn.domid) > 0 && tree.owned(conn.domid) + tx.delta(conn.domid) > nodeQuota) {
                throw new Errno("EQUOTA");
            }
            for (Mutation m : tx.log) {
                try {
                    m.apply(tree, changes);
                } catch (Errno e) {
                    LOG.log(Level.WARNING, "A validated transaction step failed on commit: {0}", e.errnoName());
                }
            }
        }
        return OK;
    }

    /**
     * DIRECTORY_PART {@code path\0offset\0}: the node's generation, then the child names from a
     * byte offset into the list, as many whole names as fit; an extra NUL marks the end of the list.
     */
    private byte[] directoryPart(Connection conn, XsMessage req) throws Errno {
        List<String> args = args(req.payload(), 2, 2);
        View.Entry node = existing(view(conn, req), Paths.canonical(args.get(0), conn.domid));
        int offset;
        try {
            offset = Integer.parseInt(args.get(1));
        } catch (NumberFormatException e) {
            throw new Errno("EINVAL");
        }
        byte[] all = listing(node);
        if (offset < 0 || offset > all.length) {
            throw new Errno("EINVAL");
        }
        byte[] gen = XsMessage.strings(Long.toString(node.generation()));
        int room = PAYLOAD_MAX - gen.length - 1;
        int end = offset;
        for (int i = offset; i < all.length && i - offset < room; i++) {
            if (all[i] == 0) {
                end = i + 1;
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(gen);
        out.write(all, offset, end - offset);
        if (end == all.length) {
            out.write(0);
        }
        return out.toByteArray();
    }

    /** The encoded child list, kept while unchanged: a client reads a big directory in many parts. */
    private byte[] listing(View.Entry node) {
        if (node != listedNode || node.generation() != listedGeneration) {
            listedBytes = names(node.childNames());
            listedNode = node;
            listedGeneration = node.generation();
        }
        return listedBytes;
    }

    private byte[] watch(Connection conn, List<String> args, List<Runnable> afterReply) throws Errno {
        String path = args.get(0);
        String token = args.get(1);
        String abs;
        if (path.startsWith("@")) {
            if (!Paths.isValid("/" + path.substring(1))) {
                throw new Errno("EINVAL");
            }
            abs = path;
        } else {
            abs = Paths.canonical(path, conn.domid);
        }
        for (Watch w : conn.watches) {
            if (w.path().equals(path) && w.token().equals(token)) {
                throw new Errno("EEXIST");
            }
        }
        conn.watches.add(new Watch(path, abs, token));
        afterReply.add(() -> conn.send(event(path, token)));
        return OK;
    }

    private void fire(Change change) {
        for (Connection c : connections) {
            for (Watch w : c.watches) {
                if (w.abs().startsWith("@") || change.abs().startsWith("@")) {
                    if (w.abs().equals(change.abs())) {
                        c.send(event(w.path(), w.token()));
                    }
                } else if (Paths.isAtOrBelow(change.abs(), w.abs())) {
                    c.send(event(relativeTo(change.abs(), w, c.domid), w.token()));
                } else if (change.removal() && w.abs().startsWith(change.abs() + "/")) {
                    c.send(event(w.path(), w.token()));
                }
            }
        }
    }

    /** Events of a watch set with a relative path carry relative paths, as in xenstored. */
    private static String relativeTo(String abs, Watch w, int domid) {
        String home = Paths.home(domid) + "/";
        return w.relative() && abs.startsWith(home) ? abs.substring(home.length()) : abs;
    }

    private static XsMessage event(String path, String token) {
        return XsMessage.of(XsOperation.WATCH_EVENT, 0, 0, XsMessage.strings(path, token));
    }

    // ---- helpers ----

    private View view(Connection conn, XsMessage req) throws Errno {
        Transaction tx = transaction(conn, req);
        return tx == null ? tree : tx;
    }

    private Transaction transaction(Connection conn, XsMessage req) throws Errno {
        if (req.txId() == 0) {
            return null;
        }
        if (!conn.transactions.contains(req.txId())) {
            throw new Errno("ENOENT");
        }
        return transactions.get(req.txId());
    }

    private static View.Entry existing(View v, String abs) throws Errno {
        View.Entry e = v.get(abs);
        if (e == null) {
            throw new Errno("ENOENT");
        }
        return e;
    }

    private static String path(Connection conn, byte[] payload) throws Errno {
        return Paths.canonical(args(payload, 1, 1).get(0), conn.domid);
    }

    /** NUL-terminated string arguments, as xenstored insists. */
    private static List<String> args(byte[] payload, int min, int max) throws Errno {
        if (payload.length == 0 || payload[payload.length - 1] != 0) {
            throw new Errno("EINVAL");
        }
        List<String> args = XsMessage.split(payload);
        if (args.size() < min || args.size() > max) {
            throw new Errno("EINVAL");
        }
        return args;
    }

    private static void privileged(Connection conn) throws Errno {
        if (conn.domid != 0) {
            throw new Errno("EACCES");
        }
    }

    private static int domid(String text) throws Errno {
        try {
            int domid = Integer.parseInt(text);
            if (domid < 0 || domid > 0x7FF0) {
                throw new Errno("EINVAL");
            }
            return domid;
        } catch (NumberFormatException e) {
            throw new Errno("EINVAL");
        }
    }

    private static byte[] names(Iterable<String> names) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String name : names) {
            out.writeBytes(name.getBytes(StandardCharsets.UTF_8));
            out.write(0);
        }
        return out.toByteArray();
    }

    private static byte[] strings(List<String> parts) {
        return XsMessage.strings(parts.toArray(String[]::new));
    }

    private static int indexOfNul(byte[] bytes) {
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == 0) {
                return i;
            }
        }
        return -1;
    }

    // ---- persistence, so a killed simulator comes back with its tree ----

    private void save() {
        try {
            Path tmp = stateFile.resolveSibling(stateFile.getFileName() + ".tmp");
            try (DataOutputStream out = new DataOutputStream(new java.io.BufferedOutputStream(Files.newOutputStream(tmp)))) {
                saveNode(out, tree.root);
            }
            Files.move(tmp, stateFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "Could not save the XenStore state to {0}: {1}", stateFile, e.getMessage());
        }
    }

    private static void saveNode(DataOutputStream out, Tree.Node node) throws IOException {
        out.writeInt(node.value.length);
        out.write(node.value);
        out.writeInt(node.perms.size());
        for (String perm : node.perms) {
            out.writeUTF(perm);
        }
        out.writeInt(node.children.size());
        for (Map.Entry<String, Tree.Node> child : node.children.entrySet()) {
            out.writeUTF(child.getKey());
            saveNode(out, child.getValue());
        }
    }

    private void load() {
        try (InputStream in = Files.newInputStream(stateFile)) {
            DataInputStream data = new DataInputStream(new java.io.BufferedInputStream(in));
            loadNode(data, "/");
        } catch (IOException e) {
            LOG.log(Level.WARNING, "Could not load the XenStore state from {0}: {1}", stateFile, e.getMessage());
        }
    }

    private void loadNode(DataInputStream in, String abs) throws IOException {
        byte[] value = in.readNBytes(in.readInt());
        List<String> perms = new ArrayList<>();
        for (int n = in.readInt(); n > 0; n--) {
            perms.add(in.readUTF());
        }
        if (abs.equals("/")) {
            tree.root.perms = List.copyOf(perms);
        } else {
            tree.put(abs, value, perms);
        }
        for (int n = in.readInt(); n > 0; n--) {
            loadNode(in, Paths.child(abs, in.readUTF()));
        }
    }
}
