package dev.granary.storage.disk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granary.storage.Blob;
import dev.granary.storage.BlobKey;
import dev.granary.storage.BlobStore;
import dev.granary.storage.BlobStoreComplianceTest;
import dev.granary.storage.PutMode;
import dev.granary.storage.StorageException;
import dev.granary.storage.TempFiles;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiskBlobStoreTest extends BlobStoreComplianceTest {

    @TempDir
    Path base;

    private Path root;

    @Override
    protected BlobStore createStore() throws IOException {
        root = base.resolve("root");
        return new DiskBlobStore(root);
    }

    private DiskBlobStore disk() {
        return (DiskBlobStore) store;
    }

    @Test
    void constructorCreatesRootAndRejectsAFile() throws Exception {
        Path nested = base.resolve("x/y/z");
        new DiskBlobStore(nested).checkHealth();
        assertThat(nested).isDirectory();
        Path file = Files.writeString(base.resolve("file"), "x");
        assertThatThrownBy(() -> new DiskBlobStore(file))
                .isInstanceOf(StorageException.class)
                .hasMessageContaining("not a directory");
    }

    @Test
    void describeNamesTheRoot() {
        assertThat(store.describe()).isEqualTo("disk:" + root.toAbsolutePath().normalize());
    }

    @Test
    void keysMapToAGoproxyFileTree() throws Exception {
        BlobKey k = key("github.com/!azure/go-autorest/@v/v14.2.0+incompatible.info");
        store.put(k, bytes("{\"Version\":\"v14.2.0+incompatible\"}"));
        Path file = root.resolve("github.com/!azure/go-autorest/@v/v14.2.0+incompatible.info");
        assertThat(file).isRegularFile().hasContent("{\"Version\":\"v14.2.0+incompatible\"}");
    }

    @Test
    void blobExposesAFileChannelForZeroCopy() throws Exception {
        BlobKey k = key("m/@v/v1.0.0.zip");
        byte[] body = randomBytes(300_000, 4);
        store.put(k, body);
        try (Blob blob = store.get(k).orElseThrow()) {
            FileChannel ch = blob.fileChannel().orElseThrow();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            long sent = 0;
            while (sent < blob.size()) {
                sent += ch.transferTo(sent, blob.size() - sent, Channels.newChannel(out));
            }
            assertThat(out.toByteArray()).isEqualTo(body);
            assertThat(blob.etag()).isPresent();
        }
    }

    @Test
    void tempFilesAreNeverListedNorServed() throws Exception {
        BlobKey k = key("m/@v/v1.0.0.zip");
        store.put(k, bytes("committed"));
        // What a crash between write and rename leaves behind:
        Path leftover = root.resolve("m/@v/" + BlobKey.TEMP_PREFIX + "123abc");
        Files.writeString(leftover, "half a zip");
        Files.createDirectories(root.resolve("n/@v"));
        Files.writeString(root.resolve("n/@v/" + BlobKey.TEMP_PREFIX + "9"), "half an info");
        assertThat(store.list(null)).containsExactly(k);
        assertThat(store.list(key("n"))).isEmpty();
        assertThat(store.get(key("n/@v/v1.0.0.info"))).isEmpty();
        assertThat(read(k)).isEqualTo(bytes("committed"));
        assertThatThrownBy(() -> key("m/@v/" + BlobKey.TEMP_PREFIX + "123abc"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void sweepRemovesOnlyOldTempFiles() throws Exception {
        BlobKey k = key("m/@v/v1.0.0.zip");
        store.put(k, bytes("committed"));
        Path old1 = root.resolve("m/@v/" + BlobKey.TEMP_PREFIX + "old1");
        Path old2 = root.resolve("deep/x/@v/" + BlobKey.TEMP_PREFIX + "old2");
        Path young = root.resolve("m/@v/" + BlobKey.TEMP_PREFIX + "young");
        Files.createDirectories(old2.getParent());
        for (Path p : List.of(old1, old2, young)) {
            Files.writeString(p, "partial");
        }
        FileTime hourAgo = FileTime.from(Instant.now().minus(Duration.ofHours(1)));
        Files.setLastModifiedTime(old1, hourAgo);
        Files.setLastModifiedTime(old2, hourAgo);

        assertThat(disk().sweepTempFiles(Duration.ofMinutes(10))).isEqualTo(2);
        assertThat(old1).doesNotExist();
        assertThat(old2).doesNotExist();
        assertThat(root.resolve("deep")).doesNotExist(); // emptied directories are pruned
        assertThat(young).exists();
        assertThat(read(k)).isEqualTo(bytes("committed"));
        assertThat(disk().sweepTempFiles(Duration.ZERO)).isEqualTo(1);
        assertThat(store.list(null)).containsExactly(k);
    }

    @Test
    void leftoversOfAProcessThatIsGoneAreSweptAtAnyAgeButLiveWritersAreKept() throws Exception {
        Process dead = new ProcessBuilder("sleep", "60").start();
        Process live = new ProcessBuilder("sleep", "60").start();
        try {
            Path ofDead = root.resolve(TempFiles.newName(dead.toHandle(), "fetch"));
            Path ofLive = root.resolve("m/@v/" + TempFiles.newName(live.toHandle(), "put"));
            Path ours = TempFiles.create(root, "fetch");
            Files.createDirectories(ofLive.getParent());
            Files.writeString(ofDead, "partial");
            Files.writeString(ofLive, "partial");
            dead.destroyForcibly().waitFor(10, TimeUnit.SECONDS);

            // All three are seconds old: an age rule alone would keep every one.
            assertThat(disk().sweepTempFiles(Duration.ofHours(1))).isEqualTo(1);
            assertThat(ofDead).doesNotExist();
            assertThat(ofLive).exists();
            assertThat(ours).exists();
            assertThat(TempFiles.owner(ofLive.getFileName().toString())).isEqualTo(TempFiles.Owner.ALIVE);
            assertThat(TempFiles.owner(ours.getFileName().toString())).isEqualTo(TempFiles.Owner.ALIVE);
        } finally {
            live.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aTemporaryFileOfTheStoreIsRenamedIntoPlaceNotCopied() throws Exception {
        Path download = TempFiles.create(root, "fetch");
        byte[] body = randomBytes(300_000, 11);
        Files.write(download, body);
        Object inode = Files.readAttributes(download, BasicFileAttributes.class).fileKey();
        BlobKey k = key("example.com/m/@v/v1.0.0.zip");

        assertThat(store.put(k, download, PutMode.REPLACE)).isTrue();

        assertThat(download).doesNotExist();
        assertThat(read(k)).isEqualTo(body);
        assertThat(Files.readAttributes(root.resolve(k.value()), BasicFileAttributes.class)
                        .fileKey())
                .isEqualTo(inode);
        assertThat(disk().fileSyncCount()).isPositive();

        // Create-only onto an existing key leaves the existing content and does not consume a copy.
        Path again = TempFiles.create(root, "fetch");
        Files.write(again, bytes("other"));
        assertThat(store.put(k, again, PutMode.CREATE_ONLY)).isFalse();
        assertThat(read(k)).isEqualTo(body);
    }

    @Test
    void aFileOutsideTheRootIsCopiedAndLeftAsItWas() throws Exception {
        Path outside = base.resolve(TempFiles.newName("fetch"));
        Files.write(outside, bytes("outside"));
        BlobKey k = key("example.com/m/@v/v1.0.0.mod");

        assertThat(store.put(k, outside, PutMode.REPLACE)).isTrue();

        assertThat(read(k)).isEqualTo(bytes("outside"));
        assertThat(Files.readAllBytes(outside)).isEqualTo(bytes("outside"));
    }

    @Test
    void nothingIsWrittenOutsideTheRoot() throws Exception {
        store.put(key("a/@v/list"), bytes("v1\n"));
        store.put(key("b/c/@v/v1.0.0.zip"), new ByteArrayInputStream(new byte[70_000]), 70_000, PutMode.CREATE_ONLY);
        assertThatThrownBy(() -> store.put(key("d/@v/v1.zip"), new FailingStream(10), 20, PutMode.REPLACE))
                .isInstanceOf(IOException.class);
        store.delete(key("a/@v/list"));
        try (Stream<Path> s = Files.list(base)) {
            assertThat(s.map(p -> p.getFileName().toString()).toList()).containsExactly("root");
        }
        try (Stream<Path> s = Files.walk(root)) {
            assertThat(s.filter(Files::isRegularFile)
                            .map(p -> root.relativize(p).toString())
                            .toList())
                    .containsExactly("b/c/@v/v1.0.0.zip");
        }
    }

    @Test
    void failedPutLeavesNoTempFileBehind() throws Exception {
        store.put(key("m/@v/list"), bytes("v1\n"));
        assertThatThrownBy(() -> store.put(key("m/@v/v1.0.0.zip"), new FailingStream(200_000), -1, PutMode.REPLACE))
                .isInstanceOf(IOException.class);
        assertThatThrownBy(() ->
                        store.put(key("m/@v/v1.0.0.zip"), new ByteArrayInputStream(new byte[5]), 4, PutMode.REPLACE))
                .isInstanceOf(StorageException.class)
                .hasMessageContaining("longer than the declared 4 bytes");
        try (Stream<Path> s = Files.list(root.resolve("m/@v"))) {
            assertThat(s.map(p -> p.getFileName().toString()).toList()).containsExactly("list");
        }
    }

    @Test
    void deletePrunesEmptyDirectoriesButNeverTheRoot() throws Exception {
        store.put(key("a/b/@v/v1.0.0.info"), bytes("{}"));
        store.put(key("a/c/@v/v1.0.0.info"), bytes("{}"));
        assertThat(store.delete(key("a/b/@v/v1.0.0.info"))).isTrue();
        assertThat(root.resolve("a/b")).doesNotExist();
        assertThat(root.resolve("a/c/@v")).isDirectory();
        assertThat(store.delete(key("a/c/@v/v1.0.0.info"))).isTrue();
        assertThat(root.resolve("a")).doesNotExist();
        assertThat(root).isDirectory();
        store.checkHealth();
    }

    @Test
    void putsForceTheFileAndTheDirectory() throws Exception {
        long files = disk().fileSyncCount();
        long dirs = disk().directorySyncCount();
        store.put(key("new/dir/@v/list"), bytes("v1\n"));
        assertThat(disk().fileSyncCount()).isEqualTo(files + 1);
        // the target directory, plus the parent of each of the three new directories
        assertThat(disk().directorySyncCount()).isEqualTo(dirs + 4);
        store.put(key("new/dir/@v/v1.info"), new ByteArrayInputStream(bytes("{}")), 2, PutMode.CREATE_ONLY);
        assertThat(disk().fileSyncCount()).isEqualTo(files + 2);
        assertThat(disk().directorySyncCount()).isEqualTo(dirs + 5);
    }

    @Test
    void symbolicLinkLeadingOutsideTheRootIsRefused() throws Exception {
        Path outside = Files.createDirectories(base.resolve("outside"));
        Files.writeString(outside.resolve("secret"), "secret");
        Files.createSymbolicLink(root.resolve("evil"), outside);
        assertThatThrownBy(() -> store.get(key("evil/secret")))
                .isInstanceOf(StorageException.class)
                .hasMessageContaining("outside");
        assertThatThrownBy(() -> store.stat(key("evil/secret"))).isInstanceOf(StorageException.class);
        assertThatThrownBy(() -> store.put(key("evil/planted"), bytes("x"))).isInstanceOf(StorageException.class);
        assertThatThrownBy(() -> store.delete(key("evil/secret"))).isInstanceOf(StorageException.class);
        assertThat(store.list(null)).isEmpty();
        try (Stream<Path> s = Files.list(outside)) {
            assertThat(s.map(p -> p.getFileName().toString()).toList()).containsExactly("secret");
        }
    }

    @Test
    void symbolicLinkInsideTheRootIsFollowed() throws Exception {
        store.put(key("real/@v/list"), bytes("v1\n"));
        Files.createDirectories(root.resolve("alias/@v"));
        Files.createSymbolicLink(root.resolve("alias/@v/list"), root.resolve("real/@v/list"));
        assertThat(read(key("alias/@v/list"))).isEqualTo(bytes("v1\n"));
        assertThat(store.list(null)).containsExactly(key("alias/@v/list"), key("real/@v/list"));
    }

    @Test
    void blobAndDirectoryCannotShareAName() throws Exception {
        store.put(key("a/b/@v/list"), bytes("v1\n"));
        assertThatThrownBy(() -> store.put(key("a/b"), bytes("x"))).isInstanceOf(StorageException.class);
        assertThatThrownBy(() -> store.put(key("a/b/@v/list/x"), bytes("x")))
                .isInstanceOf(StorageException.class)
                .hasMessageContaining("both a blob and a prefix");
        assertThat(store.list(null)).containsExactly(key("a/b/@v/list"));
    }

    @Test
    void diskFullIsReportedPlainly() {
        IOException enospc = new IOException("No space left on device");
        StorageException e = DiskBlobStore.writeFailure(root, key("m/@v/v1.zip"), enospc);
        assertThat(e)
                .hasMessageStartingWith("disk full: cannot write m/@v/v1.zip")
                .hasCause(enospc);
        assertThat(DiskBlobStore.writeFailure(root, key("m/@v/v1.zip"), new IOException("Input/output error")))
                .hasMessageContaining("cannot write m/@v/v1.zip")
                .hasMessageNotContaining("disk full");
    }

    @Test
    void healthCheckFailsWhenTheRootIsGone() throws Exception {
        store.checkHealth();
        Files.delete(root);
        assertThatThrownBy(() -> store.checkHealth()).isInstanceOf(StorageException.class);
        // and the root is not silently recreated by a write
        assertThatThrownBy(() -> store.put(key("m/@v/list"), bytes("v1\n")))
                .isInstanceOf(StorageException.class)
                .hasMessageContaining("missing");
        assertThat(root).doesNotExist();
    }

    @Test
    void createOnlyWithoutHardLinksStillHasExactlyOneWinner() throws Exception {
        DiskBlobStore noLinks = new DiskBlobStore(base.resolve("nolinks"));
        noLinks.disableHardLinks();
        BlobKey k = key("m/@v/v1.0.0.zip");
        int threads = 16;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Boolean>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                byte[] body = randomBytes(5000, t);
                results.add(pool.submit(() -> {
                    start.await();
                    return noLinks.put(k, new ByteArrayInputStream(body), body.length, PutMode.CREATE_ONLY);
                }));
            }
            start.countDown();
            int winner = -1;
            for (int t = 0; t < threads; t++) {
                if (results.get(t).get(30, TimeUnit.SECONDS)) {
                    assertThat(winner).as("second winner %d", t).isEqualTo(-1);
                    winner = t;
                }
            }
            assertThat(winner).isNotEqualTo(-1);
            try (Blob blob = noLinks.get(k).orElseThrow()) {
                assertThat(blob.readAllBytes()).isEqualTo(randomBytes(5000, winner));
            }
            assertThat(noLinks.list(null)).containsExactly(k);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void twoStoresOnOneRootSeeEachOthersWrites() throws Exception {
        DiskBlobStore other = new DiskBlobStore(root);
        other.put(key("m/@v/list"), bytes("v1\n"));
        assertThat(read(key("m/@v/list"))).isEqualTo(bytes("v1\n"));
        assertThat(store.put(key("m/@v/list"), new ByteArrayInputStream(bytes("v2\n")), 3, PutMode.CREATE_ONLY))
                .isFalse();
    }
}
