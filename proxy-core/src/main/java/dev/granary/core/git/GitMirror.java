package dev.granary.core.git;

import dev.granary.core.ProxyException;
import dev.granary.core.ProxyException.Kind;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import org.eclipse.jgit.errors.NoRemoteRepositoryException;
import org.eclipse.jgit.errors.NotSupportedException;
import org.eclipse.jgit.errors.TransportException;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ProgressMonitor;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.lib.StoredConfig;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.transport.FetchResult;
import org.eclipse.jgit.transport.RefSpec;
import org.eclipse.jgit.transport.SshTransport;
import org.eclipse.jgit.transport.TagOpt;
import org.eclipse.jgit.transport.TrackingRefUpdate;
import org.eclipse.jgit.transport.Transport;
import org.eclipse.jgit.transport.URIish;
import org.eclipse.jgit.transport.sshd.JGitKeyCache;
import org.eclipse.jgit.transport.sshd.SshdSessionFactory;
import org.eclipse.jgit.transport.sshd.SshdSessionFactoryBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A bare mirror of one remote repository: its branches, its tags and its HEAD, fetched incrementally.
 *
 * <h2>Implementation notes</h2>
 * <ul>
 *   <li><b>One fetch at a time</b> per repository; callers that arrive during a fetch wait for it and use its
 *       result instead of fetching again (single flight). A fetch is skipped when the last one is fresh enough.</li>
 *   <li><b>Bounded</b>: the whole fetch has a deadline ({@code git.timeout}) and the mirror a size bound
 *       ({@code git.max-repo-bytes}), both checked while the pack arrives; a fetch past either is cancelled and
 *       an oversized mirror deleted.</li>
 *   <li><b>Stale rather than gone</b>: when a fetch fails and the mirror already holds refs, they keep serving
 *       (a warning is logged); only a mirror that never fetched fails the request.</li>
 *   <li><b>Moved tags</b> are counted and logged as an alarm; the version already committed from the old
 *       commit keeps serving from storage, and a refetch of it is refused by the pin.</li>
 *   <li>Only {@code refs/heads/*}, {@code refs/tags/*} and HEAD are fetched, like the go command, so commits
 *       that no branch or tag reaches (rejected pull requests) never become versions.</li>
 * </ul>
 */
final class GitMirror {
    private static final Logger log = LoggerFactory.getLogger(GitMirror.class);
    private static final List<RefSpec> REFSPECS =
            List.of(new RefSpec("+refs/heads/*:refs/heads/*"), new RefSpec("+refs/tags/*:refs/tags/*"));
    /** Where HEAD points when the remote advertised none (an empty repository): a ref that never exists. */
    private static final String NO_HEAD = "refs/granary/no-head";

    /** Bounds of every mirror. */
    record Settings(Duration timeout, long maxRepoBytes, Duration freshness) {}

    private final Path dir;
    private final URI url;
    private final GitCredentials credentials;
    private final Settings settings;
    private final MeterRegistry registry;
    private final Repository repo;
    private final ReentrantLock fetchLock = new ReentrantLock();
    /** The SSH client of an ssh:// mirror, built from the route's key and known hosts; null otherwise. */
    private final SshdSessionFactory ssh;

    private volatile long lastFetchNanos;
    private volatile boolean fetchedOnce;

    GitMirror(Path dir, URI url, GitCredentials credentials, Settings settings, MeterRegistry registry)
            throws IOException {
        this.dir = dir;
        this.url = url;
        this.credentials = credentials;
        this.settings = settings;
        this.registry = registry;
        boolean exists = Files.isDirectory(dir.resolve("objects"));
        this.repo =
                new FileRepositoryBuilder().setGitDir(dir.toFile()).setBare().build();
        if (!exists) {
            Files.createDirectories(dir.getParent());
            repo.create(true);
            StoredConfig c = repo.getConfig();
            c.setString("remote", "origin", "url", url.toString());
            c.setBoolean("core", null, "logallrefupdates", false);
            c.save();
            RefUpdate head = repo.updateRef(Constants.HEAD);
            head.link(NO_HEAD);
        }
        fetchedOnce = exists && hasRefs();
        this.ssh = credentials instanceof GitCredentials.SshKey k ? sshFactory(dir, k) : null;
    }

    /**
     * An SSH client that uses only the route's key and known-hosts file: no ~/.ssh/config, no agent, no other
     * identities; an unknown or changed host key is refused (StrictHostKeyChecking with nobody to ask).
     */
    private static SshdSessionFactory sshFactory(Path dir, GitCredentials.SshKey k) {
        File home = dir.resolve("granary-ssh-home").toFile();
        return new SshdSessionFactoryBuilder()
                .setHomeDirectory(home)
                .setSshDirectory(home)
                .setConfigFile(f -> null)
                .setPreferredAuthentications("publickey")
                .setDefaultIdentities(f -> List.of(k.key()))
                .setDefaultKnownHostsFiles(f -> List.of(k.knownHosts()))
                .setConnectorFactory(null)
                .build(new JGitKeyCache());
    }

    URI url() {
        return url;
    }

    Repository repository() {
        return repo;
    }

    /**
     * Makes the mirror at most {@code maxAge} old (fetching when needed; null: any age once fetched), then
     * returns its refs.
     *
     * @throws ProxyException NOT_FOUND when the repository does not exist and was never fetched,
     *     UPSTREAM_FAILED/UPSTREAM_TIMEOUT when fetching fails and there is nothing to serve stale
     */
    Map<String, ObjectId> refs(Duration maxAge) {
        long started = System.nanoTime();
        if (!fresh(maxAge, started)) {
            boolean locked;
            try {
                locked = fetchLock.tryLock(settings.timeout().toMillis() + 5_000, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ProxyException(Kind.INTERNAL, "interrupted waiting for a fetch of " + url);
            }
            if (!locked) {
                throw new ProxyException(Kind.UPSTREAM_TIMEOUT, "another fetch of " + url + " is still running");
            }
            try {
                // A fetch that finished while this caller waited counts: it started after the caller did.
                if (!fresh(maxAge, started) && lastFetchNanos - started < 0) {
                    fetch();
                }
            } finally {
                fetchLock.unlock();
            }
        }
        return localRefs();
    }

    /** A null {@code maxAge} accepts any mirror that fetched once, even before a restart. */
    private boolean fresh(Duration maxAge, long now) {
        if (maxAge == null) {
            return fetchedOnce;
        }
        return fetchedOnce && lastFetchNanos != 0 && now - lastFetchNanos < maxAge.toNanos();
    }

    /** The refs as the go command's ls-remote view has them: HEAD, heads and tags, tags peeled to commits. */
    Map<String, ObjectId> localRefs() {
        try {
            Map<String, ObjectId> out = new HashMap<>();
            for (Ref r : repo.getRefDatabase().getRefsByPrefix(Constants.R_HEADS, Constants.R_TAGS)) {
                Ref peeled = repo.getRefDatabase().peel(r);
                ObjectId id = peeled.getPeeledObjectId() != null ? peeled.getPeeledObjectId() : peeled.getObjectId();
                if (id != null) {
                    out.put(r.getName(), id);
                }
            }
            Ref head = repo.exactRef(Constants.HEAD);
            if (head != null && head.getObjectId() != null) {
                out.put(Constants.HEAD, head.getObjectId());
            }
            return out;
        } catch (IOException e) {
            throw new ProxyException(
                    Kind.STORAGE_UNAVAILABLE, "reading the mirror of " + url + ": " + e.getMessage(), e);
        }
    }

    private boolean hasRefs() {
        try {
            return repo.getRefDatabase().hasRefs();
        } catch (IOException e) {
            return false;
        }
    }

    private void fetch() {
        long start = System.nanoTime();
        String result = "ok";
        Bounds bounds = new Bounds(dir, start + settings.timeout().toNanos(), settings.maxRepoBytes());
        try (Transport t = Transport.open(repo, new URIish(url.toString()))) {
            if (t instanceof SshTransport st) {
                if (ssh == null) {
                    result = "error";
                    throw new ProxyException(
                            Kind.FORBIDDEN, url + ": an ssh repository needs ssh-key= (and known-hosts=) on its route");
                }
                st.setSshSessionFactory(ssh);
            }
            t.setCredentialsProvider(credentials.provider());
            t.setTimeout((int) Math.max(1, settings.timeout().toSeconds()));
            t.setRemoveDeletedRefs(true);
            t.setTagOpt(TagOpt.NO_TAGS);
            FetchResult r = t.fetch(bounds, REFSPECS);
            updateHead(r);
            reportMovedTags(r);
            lastFetchNanos = System.nanoTime();
            fetchedOnce = true;
            long size = bounds.size();
            if (size > settings.maxRepoBytes()) {
                bounds.exceeded = true;
            }
            if (bounds.exceeded) {
                result = "too_large";
                discard();
                throw new ProxyException(
                        Kind.UPSTREAM_FAILED,
                        url + ": the repository is larger than git.max-repo-bytes (" + settings.maxRepoBytes()
                                + " bytes); its mirror was discarded");
            }
            log.debug("fetched {} in {} ms", url, (System.nanoTime() - start) / 1_000_000);
        } catch (ProxyException e) {
            throw e;
        } catch (NoRemoteRepositoryException e) {
            result = "not_found";
            stale(e, ProxyException.notFound(url + ": repository not found"));
        } catch (NotSupportedException | URISyntaxException e) {
            result = "error";
            throw new ProxyException(Kind.FORBIDDEN, url + ": not a supported git URL");
        } catch (TransportException e) {
            if (bounds.exceeded) {
                result = "too_large";
                discard();
                throw new ProxyException(
                        Kind.UPSTREAM_FAILED,
                        url + ": the repository is larger than git.max-repo-bytes (" + settings.maxRepoBytes()
                                + " bytes); the fetch was cancelled");
            }
            boolean timedOut = bounds.timedOut || timedOut(e);
            result = timedOut ? "timeout" : "error";
            stale(
                    e,
                    new ProxyException(
                            timedOut ? Kind.UPSTREAM_TIMEOUT : Kind.UPSTREAM_FAILED,
                            "fetching " + url + ": " + reason(e)));
        } catch (IOException | RuntimeException e) {
            result = "error";
            stale(e, new ProxyException(Kind.UPSTREAM_FAILED, "fetching " + url + ": " + reason(e)));
        } finally {
            Timer.builder("granary.git.fetch")
                    .description("Fetches of git mirrors by result")
                    .tag("result", result)
                    .register(registry)
                    .record(Duration.ofNanos(System.nanoTime() - start));
        }
    }

    private static boolean timedOut(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SocketTimeoutException
                    || String.valueOf(t.getMessage()).contains("timed out")) {
                return true;
            }
        }
        return false;
    }

    /** A failed fetch: serve what the mirror has when it has anything, else fail with {@code failure}. */
    private void stale(Exception cause, ProxyException failure) {
        if (fetchedOnce && hasRefs()) {
            log.warn("{}; serving the mirror as last fetched", failure.getMessage());
            // Do not hammer a failing server: the stale mirror counts as fresh until the next interval.
            lastFetchNanos = System.nanoTime();
            return;
        }
        throw failure;
    }

    /** The failure's text without any secret: JGit quotes the server's answer, which we do not control. */
    private String reason(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        String redacted = credentials
                .secretForRedaction(url.getHost())
                .map(s -> m.replace(s, "***"))
                .orElse(m);
        if (redacted.contains("not authorized")
                || redacted.contains("Authentication is required")
                || redacted.contains("authentication not supported")
                || redacted.contains("401")
                || redacted.contains("No more authentication methods")
                || redacted.contains("Cannot log in")) {
            return "authentication failed (credentials: " + credentials + ")";
        }
        if (redacted.contains("host key") || redacted.contains("known_hosts") || redacted.contains("HostKey")) {
            return "the server's host key is not in "
                    + (credentials instanceof GitCredentials.SshKey k ? k.knownHosts() : "known_hosts") + " ("
                    + redacted + ")";
        }
        return redacted;
    }

    private void updateHead(FetchResult r) throws IOException {
        Ref advertised = r.getAdvertisedRef(Constants.HEAD);
        RefUpdate u = repo.updateRef(Constants.HEAD, true);
        u.setForceUpdate(true);
        if (advertised != null && advertised.getObjectId() != null) {
            u.setNewObjectId(advertised.getObjectId());
            u.forceUpdate();
        } else {
            u.link(NO_HEAD);
        }
    }

    private void reportMovedTags(FetchResult r) {
        for (TrackingRefUpdate u : r.getTrackingRefUpdates()) {
            if (u.getLocalName().startsWith(Constants.R_TAGS)
                    && !u.getOldObjectId().equals(ObjectId.zeroId())
                    && !u.getNewObjectId().equals(ObjectId.zeroId())
                    && !u.getOldObjectId().equals(u.getNewObjectId())) {
                registry.counter("granary.git.moved.tags").increment();
                log.warn(
                        "tag {} of {} moved from {} to {}: versions already served keep their first content",
                        u.getLocalName().substring(Constants.R_TAGS.length()),
                        url,
                        u.getOldObjectId().name(),
                        u.getNewObjectId().name());
            }
        }
    }

    private void discard() {
        repo.close();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException | UncheckedIOException e) {
            log.warn("cannot remove the mirror {}: {}", dir, e.toString());
        }
        fetchedOnce = false;
        lastFetchNanos = 0;
    }

    void close() {
        repo.close();
        if (ssh != null) {
            ssh.close();
        }
    }

    /** Cancels a fetch past its deadline or once the mirror outgrows its bound (checked twice a second). */
    private static final class Bounds implements ProgressMonitor {
        private final Path dir;
        private final long deadline;
        private final long maxBytes;
        private long nextCheck;
        volatile boolean exceeded;
        volatile boolean timedOut;

        Bounds(Path dir, long deadline, long maxBytes) {
            this.dir = dir;
            this.deadline = deadline;
            this.maxBytes = maxBytes;
        }

        long size() {
            try (Stream<Path> s = Files.walk(dir.resolve("objects"))) {
                return s.filter(Files::isRegularFile)
                        .mapToLong(p -> p.toFile().length())
                        .sum();
            } catch (IOException | UncheckedIOException e) {
                return 0;
            }
        }

        @Override
        public boolean isCancelled() {
            long now = System.nanoTime();
            if (now - deadline > 0) {
                timedOut = true;
                return true;
            }
            if (now - nextCheck > 0) {
                nextCheck = now + 500_000_000L;
                if (size() > maxBytes) {
                    exceeded = true;
                }
            }
            return exceeded;
        }

        @Override
        public void start(int totalTasks) {}

        @Override
        public void beginTask(String title, int totalWork) {}

        @Override
        public void update(int completed) {}

        @Override
        public void endTask() {}

        @Override
        public void showDuration(boolean enabled) {}
    }
}
