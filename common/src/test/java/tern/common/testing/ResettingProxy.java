package tern.common.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A TCP proxy in front of the receiver that can reset every connection through it, as a
 * middlebox or `ss -K` does (the engine's resume tests, and the QEMU stream's across processes):
 * both sockets are closed with SO_LINGER 0, so each side gets a RST and whatever either side had
 * in flight through the proxy is lost.
 */
public final class ResettingProxy implements AutoCloseable {
    private final ServerSocket listener;
    private final int targetPort;
    private final List<Socket[]> pairs = new ArrayList<>();
    private final Thread acceptor;
    private int resets;
    private boolean refusing;
    /** Bytes passed on towards the target, over every connection so far. */
    private long forwarded;

    public ResettingProxy(int targetPort) throws IOException {
        this.targetPort = targetPort;
        this.listener = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
        this.acceptor = new Thread(this::acceptLoop, "proxy-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public InetSocketAddress address() {
        return InetSocketAddress.createUnresolved("127.0.0.1", listener.getLocalPort());
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            try {
                Socket in = listener.accept();
                synchronized (this) {
                    if (refusing) {
                        in.setSoLinger(true, 0);
                        in.close();
                        continue;
                    }
                }
                Socket out;
                try {
                    out = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                } catch (IOException e) {
                    // the target is gone: the client is reset, as by a middlebox with nothing behind it
                    in.setSoLinger(true, 0);
                    in.close();
                    continue;
                }
                in.setTcpNoDelay(true);
                out.setTcpNoDelay(true);
                synchronized (this) {
                    pairs.add(new Socket[] {in, out});
                }
                pump(in, out, true);
                pump(out, in, false);
            } catch (IOException e) {
                // closed, or the receiver refused: the sender sees its connection fail and retries
            }
        }
    }

    private void pump(Socket from, Socket to, boolean towardsTarget) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[64 * 1024];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    out.write(buf, 0, n);
                    if (towardsTarget) {
                        forwarded(n);
                    }
                }
            } catch (IOException e) {
                // reset or closed
            } finally {
                closeQuietly(from);
                closeQuietly(to);
            }
        }, "proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    private synchronized void forwarded(int n) {
        forwarded += n;
        notifyAll();
    }

    /** Bytes passed on towards the target so far. */
    public synchronized long forwarded() {
        return forwarded;
    }

    /** Waits until {@code bytes} in all have been passed on towards the target; false after {@code timeout}. */
    public synchronized boolean awaitForwarded(long bytes, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (forwarded < bytes) {
            long left = end - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            wait(Math.max(1, left / 1_000_000));
        }
        return true;
    }

    /** Resets every open connection; returns how many. */
    public synchronized int resetAll() {
        int n = 0;
        for (Socket[] p : pairs) {
            if (!p[0].isClosed()) {
                n++;
            }
            for (Socket s : p) {
                try {
                    s.setSoLinger(true, 0);
                } catch (IOException e) {
                    // already closed
                }
                closeQuietly(s);
            }
        }
        pairs.clear();
        resets++;
        return n;
    }

    /** From now on every connection is reset as soon as it is accepted: the receiver is unreachable. */
    public synchronized void refuseFromNow() {
        refusing = true;
    }

    public synchronized int resets() {
        return resets;
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // nothing to do
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
        resetAll();
    }
}
