package dev.granary.core.zip;

import dev.granary.core.testing.Txtar;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Builds module zips for tests, and forges their central directory to lie about sizes and checksums. */
final class ZipFixtures {

    private ZipFixtures() {}

    /** A zip of the given name/content pairs, names used as given. */
    static byte[] zip(String... nameContent) {
        List<Txtar.File> files = new ArrayList<>();
        for (int i = 0; i < nameContent.length; i += 2) {
            files.add(new Txtar.File(nameContent[i], nameContent[i + 1].getBytes(StandardCharsets.UTF_8)));
        }
        return Txtar.zip(files);
    }

    /** Rewrites the central directory's uncompressed size of the named entry (32-bit field). */
    static byte[] forgeSize(byte[] zip, String name, long size) {
        return forge(zip, name, 24, size);
    }

    /** Rewrites the central directory's CRC-32 of the named entry. */
    static byte[] forgeCrc(byte[] zip, String name, long crc) {
        return forge(zip, name, 16, crc);
    }

    private static byte[] forge(byte[] zip, String name, int offset, long value) {
        byte[] out = zip.clone();
        ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        byte[] want = name.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i + 46 <= out.length; i++) {
            if (b.getInt(i) != 0x02014b50) {
                continue;
            }
            int nameLen = b.getShort(i + 28) & 0xFFFF;
            if (nameLen == want.length && ByteBuffer.wrap(out, i + 46, nameLen).equals(ByteBuffer.wrap(want))) {
                b.putInt(i + offset, (int) value);
                return out;
            }
        }
        throw new IllegalArgumentException("no central directory entry " + name);
    }
}
