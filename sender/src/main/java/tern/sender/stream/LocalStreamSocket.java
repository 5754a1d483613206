package tern.sender.stream;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Where the source QEMU's migration stream comes in: a unix socket (Tern's private one, or the
 * path given with {@code listen=unix:}) or a loopback TCP port. It takes exactly one connection
 * and then stops listening, so a second one (multifd's extra channels) is refused by the kernel
 * and QEMU fails its migration.
 */
final class LocalStreamSocket implements AutoCloseable {
    /** A loopback listener's receive buffer, set before bind so the kernel does not autotune it (to MiBs). */
    static final int TCP_RECEIVE_BUFFER = 64 << 10;
    private final ServerSocketChannel server;
    private final String uri;
    private final Path unixPath;
    private final Path privateDir;

    private LocalStreamSocket(ServerSocketChannel server, String uri, Path unixPath, Path privateDir) {
        this.server = server;
        this.uri = uri;
        this.unixPath = unixPath;
        this.privateDir = privateDir;
    }

    /** Tern's own socket, for a {@code migrate} Tern runs: a unix socket in a new private directory. */
    static LocalStreamSocket privateUnix() throws IOException {
        Path dir = Files.createTempDirectory("tern-stream-");
        Path path = dir.resolve("qemu-migration.sock");
        return new LocalStreamSocket(bindUnix(path), "unix:" + path, path, dir);
    }

    /** The socket {@code uri} names (unix:PATH or tcp:127.0.0.1:PORT), for a {@code migrate} someone else runs. */
    static LocalStreamSocket listen(String uri) throws IOException {
        if (uri.startsWith("unix:")) {
            Path path = Path.of(uri.substring(5));
            if (Files.exists(path)) {
                throw new IOException("listen=" + uri + ": " + path + " exists (a stale socket? remove it first)");
            }
            return new LocalStreamSocket(bindUnix(path), uri, path, null);
        }
        String hostPort = uri.substring(4);
        int colon = hostPort.lastIndexOf(':');
        String host = hostPort.substring(0, colon).replace("[", "").replace("]", "");
        ServerSocketChannel s = ServerSocketChannel.open();
        try {
            s.setOption(StandardSocketOptions.SO_RCVBUF, TCP_RECEIVE_BUFFER);
            s.bind(new InetSocketAddress(host, Integer.parseInt(hostPort.substring(colon + 1))), 1);
        } catch (IOException e) {
            s.close();
            throw new IOException("listen=" + uri + ": cannot listen: " + e.getMessage(), e);
        }
        return new LocalStreamSocket(s, uri, null, null);
    }

    private static ServerSocketChannel bindUnix(Path path) throws IOException {
        ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            s.bind(UnixDomainSocketAddress.of(path), 1);
        } catch (IOException e) {
            s.close();
            throw new IOException("cannot listen at unix:" + path + ": " + e.getMessage(), e);
        }
        return s;
    }

    /**
     * The most of QEMU's stream the kernel holds between QEMU and Tern, which Tern cannot shrink:
     * a unix socket's is QEMU's send buffer (net.core.wmem_default); a loopback TCP connection's
     * send buffer autotunes up to net.ipv4.tcp_wmem's maximum. Read from /proc; Debian's defaults
     * when it cannot be.
     */
    long kernelBufferBytes() {
        try {
            if (uri.startsWith("unix:")) {
                return Long.parseLong(Files.readString(Path.of("/proc/sys/net/core/wmem_default")).strip());
            }
            String[] f = Files.readString(Path.of("/proc/sys/net/ipv4/tcp_wmem")).strip().split("\\s+");
            return Long.parseLong(f[f.length - 1]);
        } catch (IOException | RuntimeException e) {
            return uri.startsWith("unix:") ? 212_992 : 4 << 20;
        }
    }

    /** The URI QEMU's {@code migrate} is given. */
    String uri() {
        return uri;
    }

    /**
     * QEMU's connection, once it came; then nothing listens any more.
     *
     * @param timeout how long to wait (null: until interrupted)
     * @throws IOException when none came in time
     */
    SocketChannel accept(Duration timeout) throws IOException {
        try (Selector selector = Selector.open()) {
            server.configureBlocking(false);
            server.register(selector, SelectionKey.OP_ACCEPT);
            long deadline = timeout == null ? Long.MAX_VALUE : System.nanoTime() + timeout.toNanos();
            while (true) {
                SocketChannel c = server.accept();
                if (c != null) {
                    stopListening();
                    return c;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IOException("no connection from QEMU at " + uri + " within " + timeout.toSeconds() + " s");
                }
                selector.select(timeout == null ? 0 : Math.max(1, left / 1_000_000));
                selector.selectedKeys().clear();
                if (Thread.interrupted()) {
                    throw new java.io.InterruptedIOException("interrupted while waiting for QEMU at " + uri);
                }
            }
        }
    }

    private void stopListening() throws IOException {
        server.close();
        if (unixPath != null) {
            Files.deleteIfExists(unixPath);
        }
    }

    @Override
    public void close() throws IOException {
        stopListening();
        if (privateDir != null) {
            Files.deleteIfExists(privateDir);
        }
    }
}
