package tern.receiver.server;

import io.grpc.Metadata;
import io.grpc.ServerStreamTracer;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Makes a {@link StreamGuard} for every stream the transport opens, and counts them, so that a
 * test or fuzzer can wait until the receiver has finished with every stream it was sent
 * ({@link #awaitIdle}): closed by the transport, and, for a Migrate stream, ended by the service.
 */
final class StreamGuards extends ServerStreamTracer.Factory {
    private final String migrateMethod;
    // guarded by this
    private int open;
    private int awaitingService;

    StreamGuards(String migrateMethod) {
        this.migrateMethod = migrateMethod;
    }

    /** grpc-encoding: the server takes only uncompressed messages (ReceiverServer's decompressor registry). */
    private static final Metadata.Key<String> ENCODING = Metadata.Key.of("grpc-encoding", Metadata.ASCII_STRING_MARSHALLER);

    @Override
    public ServerStreamTracer newServerStreamTracer(String fullMethodName, Metadata headers) {
        // a Migrate stream reaches the service, unless gRPC refuses it first for a message encoding it
        // has no decompressor for (UNIMPLEMENTED, before any call starts)
        String encoding = headers.get(ENCODING);
        boolean migrate = migrateMethod.equals(fullMethodName) && (encoding == null || encoding.equals("identity"));
        synchronized (this) {
            open++;
            if (migrate) {
                awaitingService++;
            }
        }
        return new StreamGuard(this, migrate);
    }

    synchronized void serviceDone() {
        awaitingService--;
        notifyAll();
    }

    synchronized void transportClosed() {
        open--;
        notifyAll();
    }

    /** For a failure's message: what is still open. */
    synchronized String activity() {
        return open + " streams open in the transport, " + awaitingService + " not yet ended by the service";
    }

    /**
     * Waits until no stream is open in the transport or the service and {@code quiet} holds (the
     * service holds no migration); false when {@code timeoutMillis} passed first. {@code quiet} is
     * asked without this guard's lock held: it takes the service's.
     */
    boolean awaitIdle(long timeoutMillis, BooleanSupplier quiet) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (true) {
            boolean streamsDone;
            synchronized (this) {
                long left = end - System.nanoTime();
                while ((open > 0 || awaitingService > 0) && left > 0) {
                    TimeUnit.NANOSECONDS.timedWait(this, left);
                    left = end - System.nanoTime();
                }
                streamsDone = open == 0 && awaitingService == 0;
            }
            if (streamsDone && quiet.getAsBoolean()) {
                return true;
            }
            if (System.nanoTime() >= end) {
                return false;
            }
            // a migration held for a resume is let go by its timer, not by a stream: look again shortly
            synchronized (this) {
                TimeUnit.MILLISECONDS.timedWait(this, 20);
            }
        }
    }
}
