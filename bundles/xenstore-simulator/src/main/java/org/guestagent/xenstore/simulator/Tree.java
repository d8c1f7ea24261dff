package org.guestagent.xenstore.simulator;

import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The committed store: a mutable tree; children keep their creation order, as in xenstored. */
final class Tree implements View {

    static final class Node implements Entry {
        byte[] value = new byte[0];
        List<String> perms;
        final Map<String, Node> children = new LinkedHashMap<>();
        long generation;

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
            return children.keySet();
        }

        @Override
        public long generation() {
            return generation;
        }
    }

    final Node root = new Node();
    private long generations;
    /** Nodes per owning domain (the root not counted), kept up to date by put and remove. */
    private final Map<Integer, Integer> owned = new HashMap<>();

    Tree() {
        root.perms = List.of("n0");
    }

    @Override
    public Node get(String abs) {
        if (abs.equals("/")) {
            return root;
        }
        Node node = root;
        int start = 1;
        while (node != null) {
            int slash = abs.indexOf('/', start);
            String name = slash < 0 ? abs.substring(start) : abs.substring(start, slash);
            node = node.children.get(name);
            if (slash < 0) {
                return node;
            }
            start = slash + 1;
        }
        return null;
    }

    @Override
    public void put(String abs, byte[] value, List<String> perms) {
        Node parent = get(Paths.parent(abs));
        String name = Paths.name(abs);
        Node node = parent.children.get(name);
        if (node == null) {
            node = new Node();
            parent.children.put(name, node);
            parent.generation = ++generations;
        } else {
            count(View.owner(node.perms), -1);
        }
        count(View.owner(perms), 1);
        node.value = value;
        node.perms = List.copyOf(perms);
        node.generation = ++generations;
    }

    @Override
    public void remove(String abs) {
        Node parent = get(Paths.parent(abs));
        uncount(parent.children.remove(Paths.name(abs)));
        parent.generation = ++generations;
    }

    @Override
    public int owned(int domid) {
        return owned.getOrDefault(domid, 0);
    }

    private void uncount(Node node) {
        count(View.owner(node.perms), -1);
        node.children.values().forEach(this::uncount);
    }

    private void count(int domid, int delta) {
        owned.merge(domid, delta, Integer::sum);
    }
}
