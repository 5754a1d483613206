package tern.common.wire;

/**
 * The numbers both sides of the protocol must agree on, defined once (proto/.../migration.proto
 * explains the exchange they belong to).
 */
public final class Protocol {
    /** Hello.protocol_version spoken here; it changes only for breaking changes (migration.proto). */
    public static final int PROTOCOL_VERSION = 1;
    /** Completion rounds that may find drifted pages (Resync) before the migration fails. */
    public static final int MAX_RESYNC_ROUNDS = 3;
    /** The largest inbound message either side takes unless configured otherwise (gRPC's own default). */
    public static final int DEFAULT_MAX_MESSAGE_BYTES = 4 << 20;
    /** Digest bytes per DigestTableChunk: well inside {@link #DEFAULT_MAX_MESSAGE_BYTES}. */
    public static final int TABLE_CHUNK_BYTES = 1 << 20;
    /** gRPC's length-prefixed message header, added to each message's wire size by both sides' byte meters. */
    public static final int GRPC_FRAME_HEADER = 5;

    /**
     * Records a StreamChunk of at most {@code maxChunkBytes} of payload may hold: both sides size
     * their arrays by it, and each PAGE or ZERO record costs its digest in the acknowledgement.
     */
    public static int streamChunkRecords(int maxChunkBytes) {
        return Math.max(256, maxChunkBytes / 128);
    }

    private Protocol() {
    }
}
