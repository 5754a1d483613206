package tern.common.digest;

import java.nio.ByteBuffer;

/**
 * Digest of one page. Not thread-safe: each thread makes its own with {@link DigestKind#newDigest()}.
 * {@link #digest} allocates nothing once the instance has seen its first page, so it can run per page.
 */
public interface PageDigest {
    DigestKind kind();

    /** Bytes of output. */
    int length();

    /**
     * Digests {@code page.remaining()} bytes from {@code page.position()} (position is left unchanged)
     * and writes {@link #length()} bytes to {@code out[outOffset..]}. Works for heap, direct and
     * read-only buffers.
     *
     * @throws IndexOutOfBoundsException if {@code out} has no room for the digest at {@code outOffset}
     */
    void digest(ByteBuffer page, byte[] out, int outOffset);
}
