package tern.receiver.fuzz;

/**
 * XBZRLE decoding written from QEMU's description (docs/devel/migration/xbzrle.rst), independently
 * of the receiver's codec, for deltas the receiver has accepted: pairs of ULEB128 run lengths, an
 * unchanged run, then a run of new bytes that follow.
 */
final class ReferenceXbzrle {
    private ReferenceXbzrle() {
    }

    static void apply(byte[] delta, int offset, int length, byte[] page, int pageOffset, int pageSize) {
        int i = offset;
        int end = offset + length;
        int pos = 0;
        while (i < end) {
            long[] zero = uleb(delta, i);
            i = (int) zero[1];
            pos += (int) zero[0];
            long[] literal = uleb(delta, i);
            i = (int) literal[1];
            int n = (int) literal[0];
            if (pos + n > pageSize || i + n > end) {
                throw new AssertionError("the receiver accepted a delta that runs past the page or the payload");
            }
            System.arraycopy(delta, i, page, pageOffset + pos, n);
            i += n;
            pos += n;
        }
    }

    /** {value, next index}. */
    private static long[] uleb(byte[] b, int i) {
        long v = 0;
        int shift = 0;
        while (true) {
            int x = b[i++] & 0xff;
            v |= (long) (x & 0x7f) << shift;
            if ((x & 0x80) == 0) {
                return new long[] {v, i};
            }
            shift += 7;
        }
    }
}
