package tern.sender.stream;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.function.LongSupplier;

/**
 * QEMU's migration socket as the parser reads it. Reads never wait while bytes are there; when
 * QEMU has had nothing more for {@link #IDLE_GRACE_MS}, the relay's {@link Idle} hook runs first
 * (it hands the chunk being filled to the link, so no record waits behind a pause of QEMU's), then
 * the read waits.
 * It counts the bytes taken and the most of them not yet handed to the transport.
 */
final class QemuStreamChannel implements ReadableByteChannel {
    /** What runs before a read would wait. */
    interface Idle {
        void idle() throws IOException;
    }

    /** How long QEMU may pause between writes before the chunk being filled goes as it is. */
    static final long IDLE_GRACE_MS = 2;
    private final SocketChannel socket;
    private final Selector selector;
    private Idle idle = () -> { };
    private LongSupplier unsent = () -> 0;
    private long bytesRead;
    private long unsentPeak;

    QemuStreamChannel(SocketChannel socket) throws IOException {
        this.socket = socket;
        socket.configureBlocking(false);
        this.selector = Selector.open();
        socket.register(selector, SelectionKey.OP_READ);
    }

    /** @param unsent the bytes taken from QEMU that are not yet in the transport (nor dropped), now */
    void watch(Idle idle, LongSupplier unsent) {
        this.idle = idle;
        this.unsent = unsent;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        int n = socket.read(dst);
        if (n == 0) {
            // QEMU writes its stream 32 KiB at a time: a gap shorter than this is QEMU between two
            // writes, and the chunk being filled waits for more rather than go half empty (a stream
            // of small chunks would be bound by their round trips within the window)
            selector.select(IDLE_GRACE_MS);
            selector.selectedKeys().clear();
            n = socket.read(dst);
        }
        if (n == 0) {
            idle.idle();
            while ((n = socket.read(dst)) == 0) {
                if (Thread.currentThread().isInterrupted()) {
                    throw new java.io.InterruptedIOException("interrupted while waiting for QEMU's stream");
                }
                selector.select();
                selector.selectedKeys().clear();
            }
        }
        if (n > 0) {
            bytesRead += n;
            unsentPeak = Math.max(unsentPeak, unsent.getAsLong());
        }
        return n;
    }

    long bytesRead() {
        return bytesRead;
    }

    /** The most bytes taken from QEMU at once and not yet handed to the transport (measured at each read). */
    long unsentPeak() {
        return unsentPeak;
    }

    @Override
    public boolean isOpen() {
        return socket.isOpen();
    }

    /** Closing is QEMU's signal that the migration failed: its next write fails. */
    @Override
    public void close() throws IOException {
        selector.close();
        socket.close();
    }
}
