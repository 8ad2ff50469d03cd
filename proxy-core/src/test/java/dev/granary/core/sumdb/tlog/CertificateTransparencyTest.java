package dev.granary.core.sumdb.tlog;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Real Certificate Transparency proofs (Google Argon 2020 log) verify with our tlog code: the
 * go.sum tree and CT are the same RFC 6962 construction. Ported from
 * golang.org/x/mod/sumdb/tlog/ct_test.go and its testdata/argon2020 responses.
 */
class CertificateTransparencyTest {

    static JsonNode json(String name) throws Exception {
        try (InputStream in = CertificateTransparencyTest.class.getResourceAsStream("argon2020/" + name)) {
            return new ObjectMapper().readTree(in);
        }
    }

    static List<Hash> hashes(JsonNode array) throws TlogException {
        List<Hash> out = new ArrayList<>();
        for (JsonNode n : array) {
            out.add(Hash.parse(n.asText()));
        }
        return out;
    }

    @Test
    void argon2020InclusionAndConsistencyProofsVerify() throws Exception {
        JsonNode sth = json("sth.json");
        long size = sth.get("tree_size").asLong();
        Hash root = Hash.parse(sth.get("sha256_root_hash").asText());
        byte[] leafInput = Base64.getDecoder()
                .decode(json("entries.json")
                        .get("entries")
                        .get(0)
                        .get("leaf_input")
                        .asText());
        Hash leaf = Tlog.recordHash(leafInput);

        List<Hash> auditPath = hashes(json("proof.json").get("audit_path"));
        Tlog.checkRecord(auditPath, size, root, 10000, leaf);

        List<Hash> consistency = hashes(json("consistency.json").get("consistency"));
        Hash oldRoot = Hash.parse("AuIZ5V6sDUj1vn3Y1K85oOaQ7y+FJJKtyRTl1edIKBQ=");
        Tlog.checkTree(consistency, size, root, 3654490, oldRoot);

        // And the same real proofs fail when anything is off.
        assertThatThrownBy(() -> Tlog.checkRecord(auditPath, size, root, 10001, leaf))
                .isInstanceOf(TlogException.class);
        assertThatThrownBy(() -> Tlog.checkRecord(auditPath, 1L << 20, root, 10000, leaf))
                .isInstanceOf(TlogException.class);
        List<Hash> corrupt = new ArrayList<>(auditPath);
        corrupt.set(7, corrupt.get(7).flip(31, 0x80));
        assertThatThrownBy(() -> Tlog.checkRecord(corrupt, size, root, 10000, leaf))
                .isInstanceOf(TlogException.class);
        assertThatThrownBy(() -> Tlog.checkTree(consistency, size, root, 3654491, oldRoot))
                .isInstanceOf(TlogException.class);
        assertThatThrownBy(() -> Tlog.checkTree(consistency, 1L << 22, root, 3654490, oldRoot))
                .isInstanceOf(TlogException.class);
        List<Hash> corruptC = new ArrayList<>(consistency);
        corruptC.set(0, corruptC.get(0).flip(0, 1));
        assertThatThrownBy(() -> Tlog.checkTree(corruptC, size, root, 3654490, oldRoot))
                .isInstanceOf(TlogException.class);
    }
}
