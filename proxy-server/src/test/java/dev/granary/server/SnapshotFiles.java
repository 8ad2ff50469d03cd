package dev.granary.server;

import dev.granary.core.pgp.SigningKey;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/** Reads and rewrites snapshot archives, for tests that tamper with them. */
final class SnapshotFiles {
    private SnapshotFiles() {}

    /** One archive member: a regular file, or (for hostile archives) an entry of another tar type. */
    record Member(String name, byte[] data, byte type, String link) {
        static Member file(String name, byte[] data) {
            return new Member(name, data, TarArchiveEntry.LF_NORMAL, null);
        }

        Member with(byte[] newData) {
            return new Member(name, newData, type, link);
        }
    }

    static List<Member> read(Path tar) throws IOException {
        List<Member> out = new ArrayList<>();
        try (InputStream in = Files.newInputStream(tar);
                TarArchiveInputStream t = new TarArchiveInputStream(in)) {
            TarArchiveEntry e;
            while ((e = t.getNextEntry()) != null) {
                out.add(Member.file(e.getName(), t.readAllBytes()));
            }
        }
        return out;
    }

    static void write(Path tar, List<Member> members) throws IOException {
        try (OutputStream out = Files.newOutputStream(tar);
                TarArchiveOutputStream t = new TarArchiveOutputStream(out)) {
            t.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (Member m : members) {
                TarArchiveEntry e = new TarArchiveEntry(
                        m.name(),
                        m.type(),
                        m.type() != TarArchiveEntry.LF_NORMAL || m.name().startsWith("/"));
                if (m.link() != null) {
                    e.setLinkName(m.link());
                }
                if (m.type() == TarArchiveEntry.LF_NORMAL) {
                    e.setSize(m.data().length);
                }
                t.putArchiveEntry(e);
                if (m.type() == TarArchiveEntry.LF_NORMAL) {
                    t.write(m.data());
                }
                t.closeArchiveEntry();
            }
        }
    }

    /** Applies {@code change} to the member named {@code name}. */
    static List<Member> change(List<Member> members, String name, UnaryOperator<byte[]> change) {
        List<Member> out = new ArrayList<>();
        boolean found = false;
        for (Member m : members) {
            if (m.name().equals(name)) {
                out.add(m.with(change.apply(m.data())));
                found = true;
            } else {
                out.add(m);
            }
        }
        if (!found) {
            throw new IllegalArgumentException("no member " + name);
        }
        return out;
    }

    static byte[] flipByte(byte[] data) {
        byte[] b = data.clone();
        b[b.length / 2] ^= 0x20;
        return b;
    }

    /** Rewrites SHA256SUMS over the other members and signs it again with {@code key}: only deeper checks can refuse what changed. */
    static List<Member> resign(List<Member> members, SigningKey key) throws IOException {
        List<Member> out = new ArrayList<>();
        StringBuilder sums = new StringBuilder();
        for (Member m : members) {
            if (m.name().equals("SHA256SUMS") || m.name().equals("SHA256SUMS.asc")) {
                continue;
            }
            out.add(m);
            if (m.type() == TarArchiveEntry.LF_NORMAL) {
                sums.append(sha256(m.data())).append("  ").append(m.name()).append('\n');
            }
        }
        byte[] s = sums.toString().getBytes(StandardCharsets.UTF_8);
        out.add(Member.file("SHA256SUMS", s));
        out.add(Member.file(
                "SHA256SUMS.asc", key.sign(new ByteArrayInputStream(s)).getBytes(StandardCharsets.US_ASCII)));
        return out;
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static Member find(List<Member> members, Predicate<String> name) {
        return members.stream().filter(m -> name.test(m.name())).findFirst().orElseThrow();
    }
}
