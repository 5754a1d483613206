package tern.common.digest;

import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * Brings every page to a byte range so each algorithm has a single input path: heap pages are
 * read in place, others are copied into a scratch array kept across calls. The copy of a hot
 * page costs about a sixth of XXH3 and 3 % of SHA-256, and the libraries' own ByteBuffer paths
 * either copy anyway or are slower (see {@link Xxh3PageDigest}).
 */
abstract class AbstractPageDigest implements PageDigest {
    private static final byte[] EMPTY = new byte[0];

    private final DigestKind kind;
    private byte[] scratch = EMPTY;

    AbstractPageDigest(DigestKind kind) {
        this.kind = kind;
    }

    @Override
    public final DigestKind kind() {
        return kind;
    }

    @Override
    public final int length() {
        return kind.length();
    }

    @Override
    public final void digest(ByteBuffer page, byte[] out, int outOffset) {
        // Checked first so a bad destination never leaves the digest state half-fed.
        Objects.checkFromIndexSize(outOffset, kind.length(), out.length);
        int len = page.remaining();
        if (page.hasArray()) {
            digest(page.array(), page.arrayOffset() + page.position(), len, out, outOffset);
            return;
        }
        if (scratch.length < len) {
            scratch = new byte[len]; // once per instance in practice: pages have one size
        }
        page.get(page.position(), scratch, 0, len);
        digest(scratch, 0, len, out, outOffset);
    }

    /** Digests {@code in[off, off+len)} into {@code out[outOffset, outOffset+length())}, already bounds-checked. */
    abstract void digest(byte[] in, int off, int len, byte[] out, int outOffset);
}
