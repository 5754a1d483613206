package tern.receiver.server;

import io.grpc.netty.shaded.io.netty.channel.Channel;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerSocketChannel;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The receiver's listening socket: it closes a connection accepted beyond --max-connections before
 * gRPC sees it (every connection costs its own HTTP/2 windows and buffers), and, with TLS, puts a
 * {@link HandshakeWatch} at the head of every connection it lets in. Refusals are reported at most
 * once a second, with how many were refused since, so a connection flood cannot flood the log.
 */
final class ConnectionGate extends NioServerSocketChannel {
    private static final long REPORT_EVERY_NANOS = 1_000_000_000L;

    private final int max;
    private final boolean tls;
    private final Consumer<String> refused;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicLong lastReport = new AtomicLong(System.nanoTime() - REPORT_EVERY_NANOS);
    private final AtomicInteger unreported = new AtomicInteger();

    ConnectionGate(int max, boolean tls, Consumer<String> refused) {
        this.max = max;
        this.tls = tls;
        this.refused = refused;
    }

    @Override
    protected int doReadMessages(List<Object> accepted) throws Exception {
        int from = accepted.size();
        int n = super.doReadMessages(accepted);
        for (int i = from; i < accepted.size(); ) {
            Channel c = (Channel) accepted.get(i);
            if (open.incrementAndGet() > max) {
                open.decrementAndGet();
                accepted.remove(i);
                n--;
                report(c);
                c.unsafe().closeForcibly();
                continue;
            }
            c.closeFuture().addListener(f -> open.decrementAndGet());
            if (tls) {
                c.pipeline().addFirst(new HandshakeWatch(refused));
            }
            i++;
        }
        return n;
    }

    private void report(Channel c) {
        int more = unreported.incrementAndGet();
        long now = System.nanoTime();
        long last = lastReport.get();
        if (now - last >= REPORT_EVERY_NANOS && lastReport.compareAndSet(last, now)) {
            unreported.addAndGet(-more);
            refused.accept("refused connection from " + c.remoteAddress() + ": " + max
                    + " connections are open (--max-connections)" + (more > 1 ? "; " + (more - 1)
                    + " more refused since the last such line" : ""));
        }
    }
}
