package org.guestagent.xenstore.simulator;

import java.util.Collection;
import java.util.List;

/** The store as one client sees it: the committed tree, or a transaction's view of it. */
interface View {

    /** One node's content. */
    interface Entry {
        byte[] value();

        List<String> perms();

        Collection<String> childNames();

        /** Changes whenever value, permissions or the set of children change. */
        long generation();
    }

    /** The node, or null when it does not exist. */
    Entry get(String abs);

    /** Creates or replaces the node's value and permissions; the parent must exist. */
    void put(String abs, byte[] value, List<String> perms);

    /** Removes the node and its subtree; it must exist and not be the root. */
    void remove(String abs);

    /** How many nodes the domain owns (first permission entry), as xenstored counts them for its quota. */
    int owned(int domid);

    /** The owner of a node with these permissions: the domain of the first entry. */
    static int owner(List<String> perms) {
        return Integer.parseInt(perms.get(0).substring(1));
    }
}
