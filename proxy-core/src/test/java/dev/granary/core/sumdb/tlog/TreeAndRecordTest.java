package dev.granary.core.sumdb.tlog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Ported from golang.org/x/mod/sumdb/tlog/note_test.go. */
class TreeAndRecordTest {

    static final String IN = "go.sum database tree\n123456789012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n";

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void formatTree() {
        Tree t = new Tree(123456789012L, Tlog.recordHash(b("hello world")));
        assertThat(t.formatTree()).isEqualTo(IN);
    }

    @Test
    void parseTree() throws Exception {
        Tree gold = new Tree(123456789012L, Tlog.recordHash(b("hello world")));
        assertThat(Tree.parseTree(IN)).isEqualTo(gold);
        // Junk at the end is ignored.
        for (String good : new String[] {IN + "JOE", IN + "JOE\n", IN + "JOE\n".repeat(1000)}) {
            assertThat(Tree.parseTree(good)).isEqualTo(gold);
        }
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "not-go.sum database tree\n123456789012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n",
                "go.sum database tree\n0xabcdef\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n",
                "go.sum database tree\n123456789012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBTOOBIG=\n",
                "go.sum database tree\n+12\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n",
                "go.sum database tree\n-12\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n",
                "go.sum database tree\n12\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0\n",
                "go.sum database tree\n12\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=",
            })
    void badTrees(String bad) {
        assertThatThrownBy(() -> Tree.parseTree(bad))
                .isInstanceOf(TlogException.class)
                .hasMessage("malformed tree note");
    }

    @Test
    void formatRecord() throws Exception {
        assertThat(new String(TlogRecord.formatRecord(123456789012L, b("hello, world\n")), StandardCharsets.UTF_8))
                .isEqualTo("123456789012\nhello, world\n\n");
        for (String bad : new String[] {"", "hello\nworld", "hello\n\nworld\n", "hello\u0001world\n"}) {
            assertThatThrownBy(() -> TlogRecord.formatRecord(1, b(bad))).as(bad).isInstanceOf(TlogException.class);
        }
    }

    @Test
    void parseRecord() throws Exception {
        byte[] junk = {'j', 'u', 'n', 'k', ' ', 'o', 'n', ' ', 'e', 'n', 'd', 0x01, (byte) 0xff};
        byte[] in = NotesBytes.concat(b("123456789012\nhello, world\n\n"), junk);
        TlogRecord r = TlogRecord.parseRecord(in);
        assertThat(r.id()).isEqualTo(123456789012L);
        assertThat(r.text()).isEqualTo("hello, world\n");
        assertThat(r.rest()).isEqualTo(junk);

        r = TlogRecord.parseRecord(b("123456789012\nhello, world\n\n"));
        assertThat(r.rest()).isNotNull().isEmpty();

        byte[][] bad = {
            b("not-123456789012\nhello, world\n\n"),
            b("123\nhello\u0001world\n\n"),
            NotesBytes.concat(b("123\nhello"), new byte[] {(byte) 0xff, 'w', 'o', 'r', 'l', 'd', '\n', '\n'}),
            b("123\nhello world\n"),
            b("0x123\nhello world\n\n"),
        };
        for (byte[] m : bad) {
            assertThatThrownBy(() -> TlogRecord.parseRecord(m)).isInstanceOf(TlogException.class);
        }
    }

    static final class NotesBytes {
        static byte[] concat(byte[] a, byte[] c) {
            byte[] out = Arrays.copyOf(a, a.length + c.length);
            System.arraycopy(c, 0, out, a.length, c.length);
            return out;
        }
    }
}
