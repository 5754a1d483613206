package tern.common.page;

import java.nio.ByteBuffer;

/** Zero-page detection, a word at a time. */
public final class ZeroPage {
    private ZeroPage() {
    }

    /** True when every byte from position to limit is zero; the buffer's position is unchanged. */
    public static boolean isZero(ByteBuffer page) {
        int p = page.position();
        int end = page.limit();
        // byte order is irrelevant for a zero test
        for (; p + 8 <= end; p += 8) {
            if (page.getLong(p) != 0) {
                return false;
            }
        }
        for (; p < end; p++) {
            if (page.get(p) != 0) {
                return false;
            }
        }
        return true;
    }

}
