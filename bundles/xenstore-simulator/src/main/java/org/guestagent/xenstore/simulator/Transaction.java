package org.guestagent.xenstore.simulator;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.List;
import java.util.Map;

/**
 * A transaction: an overlay of the nodes it changed over the committed tree, the generations of
 * every committed node it looked at, and the log of its changes. Commit checks that none of
 * those nodes changed since (else EAGAIN) and replays the log on the committed tree.
 */
final class Transaction implements View {

    /**
     * A node as this transaction changed it. Its children are kept as a difference to the
     * committed node's (which may be large, e.g. thousands of requests), not as a copy.
     */
    private static final class Copy implements Entry {
        byte[] value;
        List<String> perms;
        final Tree.Node base; // null for a node created in this transaction
        final Set<String> added = new LinkedHashSet<>();
        final Set<String> removed = new HashSet<>();
        long generation;

        Copy(byte[] value, List<String> perms, Tree.Node base, long generation) {
            this.value = value;
            this.perms = perms;
            this.base = base;
            this.generation = generation;
        }

        boolean hasChild(String name) {
            return added.contains(name) || (base != null && base.children.containsKey(name) && !removed.contains(name));
        }

        void addChild(String name) {
            if (base != null && base.children.containsKey(name)) {
                removed.remove(name);
            } else {
                added.add(name);
            }
        }

        void removeChild(String name) {
            added.remove(name);
            if (base != null && base.children.containsKey(name)) {
                removed.add(name);
            }
        }

        @Override
        public byte[] value() {
            return value;
        }

        @Override
        public List<String> perms() {
            return perms;
        }

        @Override
        public Collection<String> childNames() {
            List<String> names = new ArrayList<>();
            if (base != null) {
                for (String name : base.children.keySet()) {
                    if (!removed.contains(name)) {
                        names.add(name);
                    }
                }
            }
            names.addAll(added);
            return names;
        }

        @Override
        public long generation() {
            return generation;
        }
    }

    final int id;
    private final Tree committed;
    /** Nodes changed in this transaction; a null value marks a removed node. */
    private final Map<String, Copy> overlay = new HashMap<>();
    /** Committed generation of each node looked at, -1 when it did not exist. */
    private final Map<String, Long> seen = new HashMap<>();
    /** The changes, replayed on the committed tree at commit. */
    final List<Store.Mutation> log = new ArrayList<>();
    private long localGenerations = Long.MAX_VALUE / 2;
    /** Nodes gained (or lost) per owning domain by this transaction. */
    private final Map<Integer, Integer> ownedDelta = new HashMap<>();

    Transaction(int id, Tree committed) {
        this.id = id;
        this.committed = committed;
    }

    @Override
    public Entry get(String abs) {
        if (overlay.containsKey(abs)) {
            return overlay.get(abs);
        }
        // The nearest changed ancestor decides whether the committed node is still visible.
        for (String a = abs; !a.equals("/");) {
            String parent = Paths.parent(a);
            if (overlay.containsKey(parent)) {
                Copy p = overlay.get(parent);
                if (p == null || !p.hasChild(Paths.name(a))) {
                    return null;
                }
                break;
            }
            a = parent;
        }
        Tree.Node node = committed.get(abs);
        seen.putIfAbsent(abs, node == null ? -1L : node.generation);
        return node;
    }

    private Copy changeable(String abs) {
        Copy copy = overlay.get(abs);
        if (copy == null) {
            Tree.Node node = (Tree.Node) get(abs); // not in the overlay: a committed node
            copy = new Copy(node.value(), node.perms(), node, node.generation());
            overlay.put(abs, copy);
        }
        return copy;
    }

    @Override
    public void put(String abs, byte[] value, List<String> perms) {
        Entry existing = get(abs);
        Copy node;
        if (existing == null) {
            Copy parent = changeable(Paths.parent(abs));
            parent.addChild(Paths.name(abs));
            parent.generation = ++localGenerations;
            node = new Copy(value, perms, null, 0);
            overlay.put(abs, node);
        } else {
            count(View.owner(existing.perms()), -1);
            node = changeable(abs);
        }
        count(View.owner(perms), 1);
        node.value = value;
        node.perms = List.copyOf(perms);
        node.generation = ++localGenerations;
    }

    @Override
    public void remove(String abs) {
        uncount(abs);
        Copy parent = changeable(Paths.parent(abs));
        parent.removeChild(Paths.name(abs));
        parent.generation = ++localGenerations;
        overlay.keySet().removeIf(k -> k.startsWith(abs + "/"));
        overlay.put(abs, null);
    }

    @Override
    public int owned(int domid) {
        return committed.owned(domid) + delta(domid);
    }

    /** Nodes the domain gains (negative: loses) when this transaction commits. */
    int delta(int domid) {
        return ownedDelta.getOrDefault(domid, 0);
    }

    /** Uncounts the node and its subtree as this transaction sees them. */
    private void uncount(String abs) {
        Entry node = get(abs);
        count(View.owner(node.perms()), -1);
        for (String child : node.childNames()) {
            uncount(Paths.child(abs, child));
        }
    }

    private void count(int domid, int delta) {
        ownedDelta.merge(domid, delta, Integer::sum);
    }

    /** True when no committed node this transaction looked at has changed since. */
    boolean stillValid() {
        for (Map.Entry<String, Long> e : seen.entrySet()) {
            Tree.Node node = committed.get(e.getKey());
            long now = node == null ? -1L : node.generation;
            if (now != e.getValue()) {
                return false;
            }
        }
        return true;
    }
}
