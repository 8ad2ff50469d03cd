package dev.granary.core.sumdb.note;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A set of known verifier keys. golang.org/x/mod/sumdb/note: Verifiers, VerifierList.
 */
@FunctionalInterface
public interface NoteVerifiers {

    /**
     * The verifier for a name and key hash.
     *
     * @throws NoteException UNKNOWN_KEY (see {@link NoteException#unknownKey}) if none is known,
     *                       which {@link Notes#open} records as an unverified signature; any other
     *                       reason makes {@code open} fail
     */
    NoteVerifier verifier(String name, int hash) throws NoteException;

    /** A list of verifiers; a name and hash that several share is an AMBIGUOUS_KEY error. */
    static NoteVerifiers of(NoteVerifier... verifiers) {
        Map<String, List<NoteVerifier>> m = new HashMap<>();
        for (NoteVerifier v : verifiers) {
            m.computeIfAbsent(v.name() + "+" + NoteException.hex(v.keyHash()), k -> new ArrayList<>())
                    .add(v);
        }
        return (name, hash) -> {
            String k = name + "+" + NoteException.hex(hash);
            List<NoteVerifier> l = m.get(k);
            if (l == null) {
                throw NoteException.unknownKey(name, hash);
            }
            if (l.size() > 1) {
                throw new NoteException(NoteException.Reason.AMBIGUOUS_KEY, "ambiguous key " + k);
            }
            return l.get(0);
        };
    }
}
