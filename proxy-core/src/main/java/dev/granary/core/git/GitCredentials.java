package dev.granary.core.git;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import org.eclipse.jgit.errors.UnsupportedCredentialItem;
import org.eclipse.jgit.transport.CredentialItem;
import org.eclipse.jgit.transport.CredentialsProvider;
import org.eclipse.jgit.transport.NetRC;
import org.eclipse.jgit.transport.URIish;

/**
 * How Granary authenticates to one git source: nothing, a {@code .netrc} file, a user and a token read
 * from a file or an environment variable (read at each use, so a rotated token is picked up), or an SSH
 * private key with the known-hosts file that pins the server's host key.
 *
 * <p>The secret itself never leaves this class except as an HTTP {@code Authorization} header or a JGit
 * credential answer: {@link #toString()} names where it comes from, never what it is.
 */
public sealed interface GitCredentials {

    /** No credentials: public or IP-restricted repositories. */
    GitCredentials NONE = new None();

    /** The basic-auth {@code Authorization} header for {@code host}, if these credentials have one for it. */
    Optional<String> authorization(String host);

    /** The JGit view of the same credentials. */
    default CredentialsProvider provider() {
        GitCredentials self = this;
        return new CredentialsProvider() {
            @Override
            public boolean isInteractive() {
                return false;
            }

            @Override
            public boolean supports(CredentialItem... items) {
                for (CredentialItem i : items) {
                    if (!(i instanceof CredentialItem.Username || i instanceof CredentialItem.Password)) {
                        return false;
                    }
                }
                return true;
            }

            @Override
            public boolean get(URIish uri, CredentialItem... items) throws UnsupportedCredentialItem {
                Optional<String[]> pair = self.userAndSecret(uri.getHost());
                if (pair.isEmpty()) {
                    return false;
                }
                for (CredentialItem i : items) {
                    if (i instanceof CredentialItem.Username u) {
                        u.setValue(pair.get()[0]);
                    } else if (i instanceof CredentialItem.Password p) {
                        p.setValue(pair.get()[1].toCharArray());
                    } else {
                        throw new UnsupportedCredentialItem(uri, i.getClass().getSimpleName());
                    }
                }
                return true;
            }
        };
    }

    /** The user and the secret for {@code host}; the secret goes nowhere else. */
    Optional<String[]> userAndSecret(String host);

    /** The secret's text, for redacting it from messages that quote a server's answer. */
    default Optional<String> secretForRedaction(String host) {
        return userAndSecret(host).map(p -> p[1]).filter(s -> !s.isEmpty());
    }

    /** No credentials. */
    record None() implements GitCredentials {
        @Override
        public Optional<String> authorization(String host) {
            return Optional.empty();
        }

        @Override
        public Optional<String[]> userAndSecret(String host) {
            return Optional.empty();
        }

        @Override
        public String toString() {
            return "none";
        }
    }

    /** The entry for the host in a {@code .netrc} file ({@code $NETRC} or {@code ~/.netrc} when no file is given). */
    record Netrc(Path file) implements GitCredentials {
        @Override
        public Optional<String> authorization(String host) {
            return userAndSecret(host).map(GitCredentials::basic);
        }

        @Override
        public Optional<String[]> userAndSecret(String host) {
            if (!Files.isReadable(file)) {
                return Optional.empty();
            }
            NetRC.NetRCEntry e = new NetRC(file.toFile()).getEntry(host);
            if (e == null || e.login == null || e.password == null) {
                return Optional.empty();
            }
            return Optional.of(new String[] {e.login, new String(e.password)});
        }

        @Override
        public String toString() {
            return "netrc " + file;
        }

        /** The file the go command and git read: {@code $NETRC}, else {@code ~/.netrc}. */
        static Path defaultFile(Map<String, String> env) {
            String netrc = env.get("NETRC");
            if (netrc != null && !netrc.isBlank()) {
                return Path.of(netrc);
            }
            return Path.of(env.getOrDefault("HOME", System.getProperty("user.home")), ".netrc");
        }
    }

    /**
     * A user and a token from a file (its first line) or an environment variable, for every host of the route.
     * GitLab and Gitea take any user with a personal access token, GitHub {@code x-access-token}.
     */
    record Token(String user, Path file, String envVar, Map<String, String> env) implements GitCredentials {
        @Override
        public Optional<String> authorization(String host) {
            return userAndSecret(host).map(GitCredentials::basic);
        }

        @Override
        public Optional<String[]> userAndSecret(String host) {
            String secret;
            if (file != null) {
                try {
                    String text = Files.readString(file, StandardCharsets.UTF_8);
                    int nl = text.indexOf('\n');
                    secret = (nl < 0 ? text : text.substring(0, nl)).strip();
                } catch (IOException e) {
                    // The path is configuration, not a secret; the reason is the file system's.
                    throw new IllegalStateException("cannot read the token file " + file + ": "
                            + e.getClass().getSimpleName());
                }
            } else {
                secret = env.get(envVar);
                if (secret == null || secret.isBlank()) {
                    throw new IllegalStateException("the token variable " + envVar + " is not set");
                }
                secret = secret.strip();
            }
            return Optional.of(new String[] {user, secret});
        }

        @Override
        public String toString() {
            return "token for " + user + " from " + (file != null ? "file " + file : "$" + envVar);
        }
    }

    /**
     * An SSH private key (OpenSSH or PEM format, unencrypted) and the known_hosts file the server's key must
     * be in; an unknown or changed host key is refused. The user comes from the URL ({@code ssh://git@host/...}).
     */
    record SshKey(Path key, Path knownHosts) implements GitCredentials {
        @Override
        public Optional<String> authorization(String host) {
            return Optional.empty();
        }

        @Override
        public Optional<String[]> userAndSecret(String host) {
            return Optional.empty();
        }

        @Override
        public String toString() {
            return "ssh key " + key + ", known hosts " + knownHosts;
        }
    }

    private static String basic(String[] userAndSecret) {
        String pair = userAndSecret[0] + ":" + userAndSecret[1];
        return "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8));
    }
}
