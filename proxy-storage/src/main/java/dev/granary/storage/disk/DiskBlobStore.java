package dev.granary.storage.disk;

import dev.granary.storage.Blob;
import dev.granary.storage.BlobKey;
import dev.granary.storage.BlobStat;
import dev.granary.storage.BlobStore;
import dev.granary.storage.PutMode;
import dev.granary.storage.StorageException;
import dev.granary.storage.TempFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link BlobStore} on a local file system. Key {@code k} is the file {@code root/k}, so with
 * GOPROXY-shaped keys the root directory is directly usable as {@code GOPROXY=file:///root}.
 *
 * <p>Besides the {@link BlobStore} contract this store promises: an open {@link Blob} exposes its
 * {@link Blob#fileChannel() FileChannel} for zero-copy transfer and keeps its content when the key is
 * later replaced or deleted; nothing is ever written outside the root; symbolic links that lead out of
 * the root are refused rather than followed. A key cannot be both a blob and a directory on a file
 * system, so storing {@code a/b} when {@code a/b/c} exists (or the reverse) fails with a
 * {@link StorageException}; GOPROXY layouts never do that.
 *
 * <h2>Implementation notes</h2>
 * <ul>
 *   <li><b>Commit order of a put.</b> (1) create the missing parent directories, fsyncing each new
 *       directory's parent; (2) write the content to {@code .tmp-<random>} in the target's own
 *       directory (same file system, so the rename below is atomic), counting bytes against the
 *       declared size; (3) {@code FileChannel.force(true)} the temp file, so the data is durable before
 *       any name points at it; (4) publish it: {@code rename(2)} over the target for
 *       {@link PutMode#REPLACE}, or {@code link(2)} for {@link PutMode#CREATE_ONLY}, which fails with
 *       {@code EEXIST} when the target exists, so among racing writers exactly one wins without any
 *       lock; then the temp name is unlinked; (5) fsync the directory so the new name survives a
 *       crash. Any failure before (4) deletes the temp file; nothing is ever visible under the key
 *       until (4), and (4) is a single atomic system call.</li>
 *   <li><b>No lock files.</b> {@code flock}/{@code fcntl} locks are unreliable on NFS and across
 *       container mount namespaces, and a crashed holder leaves them behind. Atomic rename/link give
 *       the needed guarantees without them. Where a file system refuses hard links, create-only falls
 *       back to an existence check and rename under an in-process striped lock: exactly-one-winner then
 *       holds within this process only, which is safe because concurrent writers of the same immutable
 *       object write identical, verified bytes.</li>
 *   <li><b>Crash leftovers.</b> A crash between (2) and (4) leaves a {@code .tmp-} file. Such names are
 *       never valid {@link BlobKey}s, so they are never served nor listed. Temporary names say which
 *       process owns them ({@link TempFiles}), so {@link #sweepTempFiles} removes at once what no live
 *       process on this host can own; the server calls it at start-up (the constructor does not, so
 *       that opening a store is cheap and side-effect free).</li>
 *   <li><b>Large verified files</b> written elsewhere under the root (a fetched zip) are renamed into
 *       place by {@link #put(BlobKey, Path, PutMode)}, not copied: no second copy, no extra space.</li>
 *   <li><b>Reads</b> open the file first and then work only on the open channel: a later rename over
 *       the key or a delete unlinks the name but not the inode we hold (POSIX semantics).</li>
 *   <li><b>Deletes</b> unlink the file and then remove parent directories that became empty, up to but
 *       not including the root. {@code rmdir} fails on a non-empty directory, so this cannot remove a
 *       directory a concurrent put is writing into; a put that loses the race between creating the
 *       directory and creating its temp file simply retries. Deletes are not fsynced: a delete lost in
 *       a crash resurrects a complete old blob, never a partial one.</li>
 *   <li><b>The root is never recreated</b> after construction: if it disappears (an unmounted volume),
 *       writes fail instead of silently filling the parent file system.</li>
 * </ul>
 *
 * <p>Thread-safe. Several processes may share one root (last rename wins for replace, link decides for
 * create-only).
 */
public final class DiskBlobStore implements BlobStore {

    private static final Logger log = LoggerFactory.getLogger(DiskBlobStore.class);
    private static final int BUFFER_SIZE = 64 * 1024;
    private static final int MAX_ATTEMPTS = 8;
    private static final int LOCK_STRIPES = 64;

    private final Path root;
    private final Path realRoot;
    private final Object[] createOnlyLocks = new Object[LOCK_STRIPES];
    private volatile boolean hardLinksUnavailable;
    private final AtomicLong fileSyncs = new AtomicLong();
    private final AtomicLong directorySyncs = new AtomicLong();

    /**
     * Opens a store rooted at {@code root}, creating the directory (and its parents) if needed. Does
     * not sweep leftover temporary files: call {@link #sweepTempFiles} at start-up for that.
     *
     * @throws StorageException if {@code root} exists but is not a directory, or cannot be created
     */
    public DiskBlobStore(Path root) throws IOException {
        Objects.requireNonNull(root, "root");
        this.root = root.toAbsolutePath().normalize();
        try {
            Files.createDirectories(this.root);
        } catch (FileAlreadyExistsException e) {
            throw new StorageException("storage root " + this.root + " exists and is not a directory", e);
        } catch (IOException e) {
            throw new StorageException("cannot create storage root " + this.root + ": " + e.getMessage(), e);
        }
        this.realRoot = this.root.toRealPath();
        for (int i = 0; i < LOCK_STRIPES; i++) {
            createOnlyLocks[i] = new Object();
        }
    }

    /** The root directory (absolute, normalized). */
    public Path root() {
        return root;
    }

    /**
     * Opens the file under {@code key}. The blob holds an open file descriptor until closed; its
     * content, size and entity tag stay fixed even if the key is replaced or deleted meanwhile. A
     * directory (a key prefix) is not a blob and reads as absent.
     *
     * @throws StorageException if the file cannot be opened, or its path leads outside the root
     */
    @Override
    public Optional<Blob> get(BlobKey key) throws IOException {
        Path path = resolve(key);
        Optional<Path> real = realPath(key, path);
        if (real.isEmpty()) {
            return Optional.empty();
        }
        Path file = real.get();
        BasicFileAttributes before;
        FileChannel ch;
        try {
            before = Files.readAttributes(file, BasicFileAttributes.class);
            if (!before.isRegularFile()) {
                return Optional.empty();
            }
            ch = FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            return Optional.empty(); // deleted meanwhile: linearizes as "absent"
        } catch (IOException e) {
            throw failure("open", key, e);
        }
        boolean ok = false;
        try {
            long size = ch.size();
            Optional<String> etag = Optional.empty();
            try {
                // The etag describes the file the name pointed at before and after we opened it; if
                // that changed (a concurrent replace), we cannot tell which one we hold: no etag.
                BasicFileAttributes after = Files.readAttributes(file, BasicFileAttributes.class);
                if (sameFile(before, after) && after.size() == size) {
                    etag = Optional.of(etag(after));
                }
            } catch (NoSuchFileException e) {
                // deleted after we opened it: content still readable, identity unknown
            }
            Blob blob = new DiskBlob(ch, size, etag);
            ok = true;
            return Optional.of(blob);
        } catch (IOException e) {
            throw failure("open", key, e);
        } finally {
            if (!ok) {
                closeQuietly(ch);
            }
        }
    }

    @Override
    public Optional<BlobStat> stat(BlobKey key) throws IOException {
        Path path = resolve(key);
        Optional<Path> real = realPath(key, path);
        if (real.isEmpty()) {
            return Optional.empty();
        }
        try {
            BasicFileAttributes a = Files.readAttributes(real.get(), BasicFileAttributes.class);
            if (!a.isRegularFile()) {
                return Optional.empty();
            }
            return Optional.of(new BlobStat(key, a.size(), a.lastModifiedTime().toInstant(), Optional.of(etag(a))));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw failure("stat", key, e);
        }
    }

    /**
     * Writes {@code content} to a temporary file beside the target, fsyncs it and publishes it
     * atomically (see the implementation notes). With {@link PutMode#CREATE_ONLY}, returns
     * {@code false} without reading {@code content} when the key already exists.
     *
     * @throws StorageException if writing fails (the message says so plainly when the disk is full), if
     *     the stream yields a number of bytes different from {@code size}, or if the key's path is
     *     occupied by a directory; the temporary file is removed in every case
     * @throws IOException as thrown by {@code content} itself, unchanged
     */
    @Override
    public boolean put(BlobKey key, InputStream content, long size, PutMode mode) throws IOException {
        Objects.requireNonNull(content, "content");
        Objects.requireNonNull(mode, "mode");
        if (size < -1) {
            throw new IllegalArgumentException("size " + size);
        }
        Path path = resolve(key);
        if (mode == PutMode.CREATE_ONLY && Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        Path temp = null;
        boolean renamed = false;
        try {
            FileChannel ch = null;
            Path dir = null;
            for (int attempt = 1; ch == null; attempt++) {
                Path candidate = null;
                try {
                    dir = ensureDirectory(key, path.getParent());
                    candidate = dir.resolve(TempFiles.newName("put"));
                    ch = FileChannel.open(candidate, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                    temp = candidate;
                } catch (NoSuchFileException | FileAlreadyExistsException e) {
                    // a concurrent delete pruned the directory, or a temp-name collision: try again
                    if (attempt >= MAX_ATTEMPTS) {
                        throw failure("create a temporary file for", key, e);
                    }
                } catch (StorageException e) {
                    throw e;
                } catch (IOException e) {
                    throw writeFailure(key, e);
                }
            }
            try (FileChannel out = ch) {
                copy(key, content, size, out);
                try {
                    out.force(true);
                    fileSyncs.incrementAndGet();
                } catch (IOException e) {
                    throw writeFailure(key, e);
                }
            }
            Path target = dir.resolve(path.getFileName());
            boolean written;
            if (mode == PutMode.REPLACE) {
                try {
                    Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (IOException e) {
                    throw failure("commit", key, e);
                }
                renamed = true;
                written = true;
            } else {
                CreateOutcome outcome = createOnly(key, temp, target);
                renamed = outcome == CreateOutcome.RENAMED;
                written = outcome != CreateOutcome.EXISTED;
            }
            if (written) {
                syncDirectory(dir);
            }
            return written;
        } finally {
            if (temp != null && !renamed) {
                deleteQuietly(temp);
            }
        }
    }

    /**
     * Stores {@code file} under {@code key}. A temporary file of this store (a {@code .tmp-} name under
     * the root, on the same file system) is taken over: fsynced and renamed (or, create-only, linked)
     * into place, so committing a large verified download needs no second copy and no extra space.
     * Any other file is copied. Either way the caller must not use {@code file} afterwards.
     */
    @Override
    public boolean put(BlobKey key, Path file, PutMode mode) throws IOException {
        Objects.requireNonNull(mode, "mode");
        if (!isOwnTemp(file)) {
            return BlobStore.super.put(key, file, mode);
        }
        Path path = resolve(key);
        if (mode == PutMode.CREATE_ONLY && Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.force(true);
            fileSyncs.incrementAndGet();
        } catch (IOException e) {
            throw writeFailure(key, e);
        }
        for (int attempt = 1; ; attempt++) {
            Path dir;
            try {
                dir = ensureDirectory(key, path.getParent());
            } catch (StorageException e) {
                throw e;
            } catch (IOException e) {
                throw writeFailure(key, e);
            }
            Path target = dir.resolve(path.getFileName());
            try {
                boolean written;
                if (mode == PutMode.REPLACE) {
                    Files.move(file, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                    written = true;
                } else {
                    CreateOutcome outcome = createOnly(key, file, target);
                    written = outcome != CreateOutcome.EXISTED;
                    if (outcome == CreateOutcome.LINKED) {
                        deleteQuietly(file);
                    }
                }
                if (written) {
                    syncDirectory(dir);
                }
                return written;
            } catch (NoSuchFileException e) {
                // a concurrent delete pruned the target directory: create it again
                if (attempt >= MAX_ATTEMPTS || !Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
                    throw failure("commit", key, e);
                }
            } catch (StorageException e) {
                throw e;
            } catch (IOException e) {
                throw failure("commit", key, e);
            }
        }
    }

    /** A regular {@code .tmp-} file under the root, on the root's file system: safe to rename into place. */
    private boolean isOwnTemp(Path file) {
        Path abs = file.toAbsolutePath().normalize();
        if (!isTemp(abs) || !abs.startsWith(root) || !Files.isRegularFile(abs, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        try {
            return Files.getFileStore(abs).equals(Files.getFileStore(root));
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Removes the file under {@code key}, then the parent directories that became empty (never the
     * root). Idempotent; a directory (a key prefix) is not a blob and is left alone.
     */
    @Override
    public boolean delete(BlobKey key) throws IOException {
        Path path = resolve(key);
        Path dir = path.getParent();
        Optional<Path> realDir = realPath(key, dir);
        if (realDir.isEmpty() || !Files.isDirectory(realDir.get())) {
            return false;
        }
        Path file = realDir.get().resolve(path.getFileName());
        if (Files.isDirectory(file, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        boolean removed;
        try {
            removed = Files.deleteIfExists(file);
        } catch (IOException e) {
            throw failure("delete", key, e);
        }
        if (removed) {
            pruneEmptyDirectories(dir);
        }
        return removed;
    }

    /**
     * Walks the tree under {@code prefix}. Temporary files, names that are not valid keys and symbolic
     * links to directories are skipped; symbolic links to files inside the root are listed.
     */
    @Override
    public List<BlobKey> list(BlobKey prefix) throws IOException {
        Path start;
        if (prefix == null) {
            start = root;
        } else {
            Path path = resolve(prefix);
            Optional<Path> real = realPath(prefix, path);
            if (real.isEmpty() || !Files.isDirectory(real.get())) {
                return List.of();
            }
            start = path;
        }
        List<BlobKey> keys = new ArrayList<>();
        try {
            Files.walkFileTree(start, Set.of(), Integer.MAX_VALUE, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    if (isTemp(file)) {
                        return FileVisitResult.CONTINUE;
                    }
                    if (attrs.isRegularFile() || (attrs.isSymbolicLink() && linksToFileInsideRoot(file))) {
                        String k = keyText(file);
                        if (BlobKey.isValid(k)) {
                            keys.add(BlobKey.of(k));
                        } else {
                            log.debug("not listing {}: not a valid key", file);
                        }
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException exc) throws IOException {
                    if (exc instanceof NoSuchFileException) {
                        return FileVisitResult.CONTINUE; // removed while we walked
                    }
                    throw exc;
                }
            });
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new StorageException(
                    "cannot list " + (prefix == null ? "" : prefix) + " under " + root + ": " + e.getMessage(), e);
        }
        Collections.sort(keys);
        return keys;
    }

    /**
     * Removes temporary files (names starting with {@link BlobKey#TEMP_PREFIX}) that no live writer can
     * own: those of a process on this host that is gone, whatever their age ({@link TempFiles}), and
     * any other temporary file last modified more than {@code olderThan} ago (a writer on another host
     * sharing the root, or an unnamed leftover). Writers touch their temp file as they write, so choose
     * {@code olderThan} well above the longest write stall (minutes, not seconds). The server calls this
     * at start-up and periodically; it is safe to call at any time.
     *
     * @return how many files were removed
     */
    public int sweepTempFiles(Duration olderThan) throws IOException {
        Objects.requireNonNull(olderThan, "olderThan");
        Instant cutoff = Instant.now().minus(olderThan);
        List<Path> stale = new ArrayList<>();
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    if (isTemp(file) && !attrs.isDirectory() && abandoned(file, attrs, cutoff)) {
                        stale.add(file);
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException exc) throws IOException {
                    if (exc instanceof NoSuchFileException) {
                        return FileVisitResult.CONTINUE;
                    }
                    throw exc;
                }
            });
        } catch (IOException e) {
            throw new StorageException("cannot sweep temporary files under " + root + ": " + e.getMessage(), e);
        }
        int removed = 0;
        for (Path p : stale) {
            try {
                if (Files.deleteIfExists(p)) {
                    removed++;
                    pruneEmptyDirectories(p.getParent());
                }
            } catch (IOException e) {
                log.warn("cannot remove leftover temporary file {}: {}", p, e.toString());
            }
        }
        if (removed > 0) {
            log.info("removed {} leftover temporary files under {}", removed, root);
        }
        return removed;
    }

    private static boolean abandoned(Path file, BasicFileAttributes attrs, Instant cutoff) {
        return switch (TempFiles.owner(file.getFileName().toString())) {
            case ALIVE -> false;
            case GONE -> true;
            case UNKNOWN -> attrs.lastModifiedTime().toInstant().isBefore(cutoff);
        };
    }

    /** Verifies that the root is still a writable directory. */
    @Override
    public void checkHealth() throws IOException {
        if (!Files.isDirectory(root)) {
            throw new StorageException("storage root " + root + " is not a directory");
        }
        if (!Files.isWritable(root)) {
            throw new StorageException("storage root " + root + " is not writable");
        }
    }

    @Override
    public String describe() {
        return "disk:" + root;
    }

    /** File fsyncs done so far (for tests: proves the durable path ran). */
    long fileSyncCount() {
        return fileSyncs.get();
    }

    /** Makes create-only use its fallback for file systems without hard links (for tests). */
    void disableHardLinks() {
        hardLinksUnavailable = true;
    }

    /** Directory fsyncs that succeeded so far (for tests). */
    long directorySyncCount() {
        return directorySyncs.get();
    }

    // ---- internals ----------------------------------------------------------------------------

    private enum CreateOutcome {
        LINKED,
        RENAMED,
        EXISTED
    }

    private CreateOutcome createOnly(BlobKey key, Path temp, Path target) throws IOException {
        if (!hardLinksUnavailable) {
            try {
                Files.createLink(target, temp);
                return CreateOutcome.LINKED;
            } catch (FileAlreadyExistsException e) {
                if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
                    throw new StorageException(
                            "cannot store " + key + ": a directory of that name exists under " + root);
                }
                return CreateOutcome.EXISTED;
            } catch (UnsupportedOperationException | FileSystemException e) {
                hardLinksUnavailable = true;
                log.info(
                        "hard links unavailable under {} ({}); create-only writes fall back to an in-process lock",
                        root,
                        e.toString());
            } catch (IOException e) {
                throw failure("commit", key, e);
            }
        }
        synchronized (createOnlyLocks[Math.floorMod(key.hashCode(), LOCK_STRIPES)]) {
            if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                return CreateOutcome.EXISTED;
            }
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                throw failure("commit", key, e);
            }
            return CreateOutcome.RENAMED;
        }
    }

    private void copy(BlobKey key, InputStream in, long size, FileChannel out) throws IOException {
        byte[] buf = new byte[BUFFER_SIZE];
        long count = 0;
        while (true) {
            int n = in.read(buf); // the caller's stream: its exceptions propagate unchanged
            if (n < 0) {
                break;
            }
            count += n;
            if (size >= 0 && count > size) {
                throw new StorageException("content for " + key + " is longer than the declared " + size + " bytes");
            }
            ByteBuffer bb = ByteBuffer.wrap(buf, 0, n);
            try {
                while (bb.hasRemaining()) {
                    out.write(bb);
                }
            } catch (IOException e) {
                throw writeFailure(key, e);
            }
        }
        if (size >= 0 && count != size) {
            throw new StorageException(
                    "content for " + key + " ended after " + count + " of the declared " + size + " bytes");
        }
    }

    /**
     * Creates {@code dir} and missing parents below the root, fsyncing the parent of each new
     * directory, and returns its real path after checking that it lies inside the root.
     */
    private Path ensureDirectory(BlobKey key, Path dir) throws IOException {
        createDirectory(key, dir);
        Path real = dir.toRealPath();
        if (!real.startsWith(realRoot)) {
            throw new StorageException(
                    "refusing to write " + key + ": " + dir + " leads outside " + root + " through a symbolic link");
        }
        return real;
    }

    private void createDirectory(BlobKey key, Path dir) throws IOException {
        if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (dir.equals(root)) {
            throw new StorageException("storage root " + root + " is missing (unmounted volume?)");
        }
        createDirectory(key, dir.getParent());
        try {
            Files.createDirectory(dir);
            syncDirectory(dir.getParent());
        } catch (FileAlreadyExistsException e) {
            if (!Files.isDirectory(dir)) {
                throw new StorageException(
                        "cannot store " + key + ": " + root.relativize(dir)
                                + " is a blob, and a key cannot be both a blob and a prefix",
                        e);
            }
        }
    }

    private void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
            directorySyncs.incrementAndGet();
        } catch (IOException | UnsupportedOperationException e) {
            // Some platforms and file systems refuse to open or sync directories; the rename is still
            // atomic, only its durability across a power loss is then up to the file system.
            log.debug("directory fsync of {} not done: {}", dir, e.toString());
        }
    }

    private void pruneEmptyDirectories(Path dir) {
        for (Path d = dir; d != null && d.startsWith(root) && !d.equals(root); d = d.getParent()) {
            if (!Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) {
                return;
            }
            try {
                Files.delete(d);
            } catch (DirectoryNotEmptyException | NoSuchFileException e) {
                return; // in use again, or already gone: stop
            } catch (IOException e) {
                log.debug("cannot remove empty directory {}: {}", d, e.toString());
                return;
            }
        }
    }

    /** The path of {@code key}, checked to lie strictly inside the root lexically. */
    private Path resolve(BlobKey key) throws StorageException {
        Objects.requireNonNull(key, "key");
        Path p;
        try {
            p = root.resolve(key.value());
        } catch (InvalidPathException e) {
            throw new StorageException(
                    "key " + key + " cannot be a file name here (file-name encoding "
                            + System.getProperty("sun.jnu.encoding") + "; run with a UTF-8 locale): " + e.getMessage(),
                    e);
        }
        // BlobKey forbids traversal already; this is defense in depth.
        if (!p.normalize().equals(p) || !p.startsWith(root) || p.equals(root)) {
            throw new StorageException("key " + key + " does not resolve inside " + root);
        }
        return p;
    }

    /**
     * The real path of an existing {@code path}, or empty when it does not exist (including when a
     * component is a file). Fails if symbolic links lead it outside the root.
     */
    private Optional<Path> realPath(BlobKey key, Path path) throws IOException {
        Path real;
        try {
            real = path.toRealPath();
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (FileSystemException e) {
            if (!Files.exists(path)) {
                return Optional.empty(); // e.g. ENOTDIR: a component is a file
            }
            throw failure("resolve", key, e);
        }
        if (!real.startsWith(realRoot)) {
            throw new StorageException("refusing " + key + ": a symbolic link leads it outside " + root);
        }
        return Optional.of(real);
    }

    private boolean linksToFileInsideRoot(Path link) {
        try {
            Path real = link.toRealPath();
            return real.startsWith(realRoot) && Files.isRegularFile(real);
        } catch (IOException e) {
            return false;
        }
    }

    private String keyText(Path file) {
        Path rel = root.relativize(file);
        StringBuilder b = new StringBuilder();
        for (Path name : rel) {
            if (!b.isEmpty()) {
                b.append('/');
            }
            b.append(name);
        }
        return b.toString();
    }

    private static boolean isTemp(Path file) {
        Path name = file.getFileName();
        return name != null && name.toString().startsWith(BlobKey.TEMP_PREFIX);
    }

    private static boolean sameFile(BasicFileAttributes a, BasicFileAttributes b) {
        return Objects.equals(a.fileKey(), b.fileKey())
                && a.lastModifiedTime().equals(b.lastModifiedTime())
                && a.size() == b.size();
    }

    /** Size, modification time and file identity: changes whenever the name points at new content. */
    private static String etag(BasicFileAttributes a) {
        long mtime = a.lastModifiedTime().to(TimeUnit.NANOSECONDS);
        String id =
                a.fileKey() == null ? "" : "-" + Integer.toHexString(a.fileKey().hashCode());
        return Long.toHexString(a.size()) + "-" + Long.toHexString(mtime) + id;
    }

    private StorageException failure(String operation, BlobKey key, IOException e) {
        if (e instanceof StorageException se) {
            return se;
        }
        return new StorageException("cannot " + operation + " " + key + " under " + root + ": " + e, e);
    }

    private StorageException writeFailure(BlobKey key, IOException e) {
        return writeFailure(root, key, e);
    }

    /** Maps a write error to a StorageException whose message says "disk full" when that is the cause. */
    static StorageException writeFailure(Path root, BlobKey key, IOException e) {
        if (e instanceof StorageException se) {
            return se;
        }
        String msg = String.valueOf(e.getMessage());
        if (msg.contains("No space left on device")
                || msg.contains("Disk quota exceeded")
                || msg.contains("not enough space")) {
            return new StorageException("disk full: cannot write " + key + " under " + root + " (" + msg + ")", e);
        }
        return new StorageException("cannot write " + key + " under " + root + ": " + e, e);
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            log.warn("cannot remove temporary file {} ({}); sweepTempFiles will", p, e.toString());
        }
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException e) {
            log.debug("closing a file channel failed", e);
        }
    }

    /** A blob over a file channel opened at {@code get}; reads are positional, so streams are independent. */
    private static final class DiskBlob implements Blob {
        private final FileChannel ch;
        private final long size;
        private final Optional<String> etag;

        DiskBlob(FileChannel ch, long size, Optional<String> etag) {
            this.ch = ch;
            this.size = size;
            this.etag = etag;
        }

        @Override
        public long size() {
            return size;
        }

        @Override
        public Optional<String> etag() {
            return etag;
        }

        @Override
        public InputStream openStream() {
            return new ChannelRangeInputStream(ch, 0, size);
        }

        @Override
        public InputStream openStream(long offset, long length) {
            if (offset < 0 || length < 0 || offset > size || length > size - offset) {
                throw new IllegalArgumentException("range " + offset + "+" + length + " outside 0.." + size);
            }
            return new ChannelRangeInputStream(ch, offset, offset + length);
        }

        @Override
        public Optional<FileChannel> fileChannel() {
            return Optional.of(ch);
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }
    }
}
