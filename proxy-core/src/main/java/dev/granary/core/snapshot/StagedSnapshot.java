package dev.granary.core.snapshot;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A snapshot archive unpacked into a private staging directory, each member in a file of its own
 * (named by a counter, never by the member's path), with its size and SHA-256 as read. Nothing in it
 * is trusted yet. Closing removes the directory.
 */
public final class StagedSnapshot implements Closeable {

    /**
     * One member as read from the archive.
     *
     * @param name   its path in the archive
     * @param file   where its bytes are staged
     * @param size   its size
     * @param sha256 the SHA-256 of its bytes, lower-case hex
     */
    public record Member(String name, Path file, long size, String sha256) {}

    private final Path dir;
    private final Map<String, Member> members = new LinkedHashMap<>();

    StagedSnapshot(Path dir) {
        this.dir = dir;
    }

    void add(Member m) {
        members.put(m.name(), m);
    }

    boolean contains(String name) {
        return members.containsKey(name);
    }

    /** The staging directory. */
    public Path dir() {
        return dir;
    }

    /** Every member, in archive order. */
    public Collection<Member> members() {
        return members.values();
    }

    public Optional<Member> member(String name) {
        return Optional.ofNullable(members.get(name));
    }

    /** A (small) member's bytes, or empty when there is no such member. */
    public Optional<byte[]> read(String name) throws IOException {
        Member m = members.get(name);
        return m == null ? Optional.empty() : Optional.of(Files.readAllBytes(m.file()));
    }

    /** A member's bytes as a stream. */
    public InputStream open(Member m) throws IOException {
        return Files.newInputStream(m.file());
    }

    @Override
    public void close() throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
