package tern.sender.stream;

import tern.common.qemu.stream.QemuStreamFormat;
import tern.common.wire.Protocol;

/**
 * The sender relay's two memory budgets (QEMU-STREAM.md §4, §7 pitfall 1).
 *
 * <p><b>Unsent.</b> Bytes taken from QEMU and not yet handed to the transport are at most one
 * read buffer (the parser's) plus one chunk being filled, because the relay reads from QEMU only
 * while it is not waiting on the link; gRPC adds at most its ready threshold and the message being
 * written. QEMU measures its bandwidth as the rate its socket takes bytes, and counts everything
 * taken as sent: kept to about {@link #TARGET_NANOS} of the link's bandwidth, its estimate stays
 * true and a switchover's real downtime stays near the limit. The local socket adds what its
 * kernel buffer holds on QEMU's side (a unix socket's send buffer, net.core.wmem_default, 208 KiB
 * on Debian; a loopback TCP connection autotunes it up to net.ipv4.tcp_wmem's maximum, 4 MiB), which
 * Tern cannot shrink: that is why the private socket is a unix one.
 *
 * <p><b>Replay.</b> Chunks on the link and not yet acknowledged are kept for a resume, at most
 * {@code window} of them; reading from QEMU stops while the window is full. That budget is the
 * window times {@link #chunkPayloadBytes} (plus its headers and digests) and does not add to
 * downtime: those bytes are on the link already.
 *
 * <p>Without a bandwidth cap the sizes are their maximum, 256 KiB each.
 */
record RelayBudget(int readBufferBytes, int chunkPayloadBytes) {
    /** The unsent budget's target: within the 20-50 ms QEMU-STREAM.md §7 asks for. */
    static final long TARGET_NANOS = 30_000_000L;
    static final int MAX_PART = 256 << 10;
    /** Two pages: a chunk holds at least one page record, a read buffer at least one whole record. */
    static final int MIN_PART = 2 * QemuStreamFormat.PAGE_SIZE;
    /** grpc-java's default onReady threshold: what the transport takes before it stops being ready. */
    static final int GRPC_READY_BYTES = 32 << 10;

    RelayBudget {
        QemuStreamFormat.recordBuffer("read buffer", readBufferBytes);
        if (chunkPayloadBytes < QemuStreamFormat.PAGE_SIZE) {
            throw new IllegalArgumentException("chunk payload of " + chunkPayloadBytes + " bytes holds no page");
        }
    }

    /** The budget for a link capped at {@code bytesPerSecond} (0: no cap). */
    static RelayBudget forBandwidth(long bytesPerSecond) {
        if (bytesPerSecond <= 0) {
            return new RelayBudget(MAX_PART, MAX_PART);
        }
        long target = (long) (bytesPerSecond * (TARGET_NANOS / 1e9));
        int part = (int) Math.max(MIN_PART, Math.min(MAX_PART, target / 3));
        return new RelayBudget(part, part);
    }

    /** The most bytes taken from QEMU and not yet on the transport, kernel buffers aside. */
    long unsentBytes() {
        return (long) readBufferBytes + chunkPayloadBytes + GRPC_READY_BYTES;
    }

    /**
     * The relay's buffers on the heap, allocated once: the read buffer, and {@code window} + 1
     * chunks (the replay window and the one being filled) of payload and per-record digests.
     */
    long heapBytes(int window, int digestLength) {
        return readBufferBytes + (window + 1L) * (chunkPayloadBytes + (long) maxRecords() * (digestLength + 16));
    }

    int maxRecords() {
        return Protocol.streamChunkRecords(chunkPayloadBytes);
    }
}
