package dev.granary.core.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Map;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.writer.openssh.OpenSSHKeyPairResourceWriter;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.server.Environment;
import org.apache.sshd.server.ExitCallback;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.command.Command;

/**
 * A real git server over SSH on loopback: Apache MINA SSHD accepting one public key, running the real
 * {@code git upload-pack} for {@code git-upload-pack '<path>'} on repositories under {@code root}.
 */
public final class GitSshServer implements AutoCloseable {
    private final SshServer server;
    private final KeyPair hostKey;

    public GitSshServer(Path root, PublicKey authorized) throws IOException {
        this.hostKey = newKeyPair();
        server = SshServer.setUpDefaultServer();
        server.setHost("127.0.0.1");
        server.setPort(0);
        server.setKeyPairProvider(KeyPairProvider.wrap(hostKey));
        server.setPasswordAuthenticator(null);
        server.setKeyboardInteractiveAuthenticator(null);
        server.setPublickeyAuthenticator((user, key, session) -> KeyUtils.compareKeys(key, authorized));
        server.setCommandFactory((channel, command) -> new UploadPack(root, command));
        server.start();
    }

    /** A fresh EC (nistp256) key pair. */
    public static KeyPair newKeyPair() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes {@code kp}'s private key in OpenSSH format, as ssh-keygen would. */
    public static Path writePrivateKey(KeyPair kp, Path file) throws IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            OpenSSHKeyPairResourceWriter.INSTANCE.writePrivateKey(kp, "granary-test", null, out);
        } catch (GeneralSecurityException e) {
            throw new IOException(e);
        }
        return file;
    }

    public int port() {
        return ((InetSocketAddress) server.getBoundAddresses().iterator().next()).getPort();
    }

    /** The known_hosts line of this server. */
    public String knownHostsLine() {
        return "[127.0.0.1]:" + port() + " " + PublicKeyEntry.toString(hostKey.getPublic());
    }

    @Override
    public void close() throws IOException {
        server.stop(true);
    }

    /** {@code git-upload-pack '<path>'}, confined to the root. */
    private static final class UploadPack implements Command {
        private final Path root;
        private final String command;
        private InputStream in;
        private OutputStream out;
        private OutputStream err;
        private ExitCallback exit;
        private Process process;

        UploadPack(Path root, String command) {
            this.root = root;
            this.command = command;
        }

        @Override
        public void setInputStream(InputStream in) {
            this.in = in;
        }

        @Override
        public void setOutputStream(OutputStream out) {
            this.out = out;
        }

        @Override
        public void setErrorStream(OutputStream err) {
            this.err = err;
        }

        @Override
        public void setExitCallback(ExitCallback callback) {
            this.exit = callback;
        }

        @Override
        public void start(ChannelSession channel, Environment env) throws IOException {
            String[] parts = command.split(" ", 2);
            String arg = parts.length == 2 ? parts[1].replace("'", "") : "";
            Path repo = root.resolve(arg.replaceFirst("^/+", "")).normalize();
            if (!parts[0].equals("git-upload-pack") || !repo.startsWith(root) || !Files.isDirectory(repo)) {
                err.write(("refused: " + command + "\n").getBytes());
                err.flush();
                exit.onExit(1);
                return;
            }
            ProcessBuilder pb = new ProcessBuilder("git", "upload-pack", repo.toString());
            Map<String, String> e = pb.environment();
            e.clear();
            e.put("PATH", "/usr/bin:/bin");
            e.put("HOME", root.toString());
            e.put("GIT_CONFIG_NOSYSTEM", "1");
            String protocol = env.getEnv().get("GIT_PROTOCOL");
            if (protocol != null) {
                e.put("GIT_PROTOCOL", protocol);
            }
            process = pb.start();
            Thread stdin = Thread.ofVirtual().start(() -> copy(in, process.getOutputStream(), true));
            Thread stdout = Thread.ofVirtual().start(() -> copy(process.getInputStream(), out, false));
            Thread stderr = Thread.ofVirtual().start(() -> copy(process.getErrorStream(), err, false));
            Thread.ofVirtual().start(() -> {
                try {
                    int code = process.waitFor();
                    stdout.join();
                    stderr.join();
                    exit.onExit(code);
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
                stdin.interrupt();
            });
        }

        private static void copy(InputStream from, OutputStream to, boolean closeTarget) {
            byte[] buf = new byte[32 * 1024];
            try {
                for (int n; (n = from.read(buf)) >= 0; ) {
                    to.write(buf, 0, n);
                    to.flush();
                }
            } catch (IOException ignored) {
                // The other side went away; the exit status tells the client.
            } finally {
                if (closeTarget) {
                    try {
                        to.close();
                    } catch (IOException ignored) {
                        // Already closed.
                    }
                }
            }
        }

        @Override
        public void destroy(ChannelSession channel) {
            if (process != null) {
                process.destroy();
            }
        }
    }
}
