package tern.common.page;

import java.nio.ByteBuffer;

/**
 * Zero-page detection by comparison with a page of zeros: {@link ByteBuffer#mismatch} is a
 * vectorised intrinsic, several times faster than reading the page a word at a time.
 * Thread-safe: the comparison moves no position.
 */
public final class ZeroPage {
    private final ByteBuffer zeros;

    public ZeroPage(int pageSize) {
        this.zeros = ByteBuffer.allocateDirect(pageSize).asReadOnlyBuffer();
    }

    /** True when the page (position to limit, one page long) is all zero bytes; positions are unchanged. */
    public boolean isZero(ByteBuffer page) {
        if (page.remaining() != zeros.capacity()) {
            throw new IllegalArgumentException("page of " + page.remaining() + " bytes, expected " + zeros.capacity());
        }
        return page.mismatch(zeros) < 0;
    }
}
