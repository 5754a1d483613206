package tern.common.xbzrle;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * QEMU's XBZRLE page delta (docs/devel/migration/xbzrle.rst, migration/xbzrle.c).
 *
 * <pre>
 *   delta = (zrun nzrun)*        zrun  = ULEB128 count of bytes unchanged from the old page
 *                                nzrun = ULEB128 count n &gt; 0, then the n new bytes
 * </pre>
 * Runs are maximal, so the encoding of a page pair is unique and byte-exact with QEMU's encoder:
 * the first zero run is written even when 0, a trailing unchanged run is not, and an unchanged
 * page encodes to nothing. Lengths are at most as many ULEB128 bytes as the page size needs
 * (2 for pages up to 8 KiB, as QEMU's {@code uleb128_decode_small}; 3 up to 1 MiB).
 *
 * <p>Not thread-safe (encode keeps scratch copies): one instance per thread. No method allocates,
 * except to throw and, once per instance, the scratch copies.
 */
public final class XbzrleCodec {
    private static final long LOWS = 0x7f7f7f7f7f7f7f7fL;
    private static final long HIGHS = 0x8080808080808080L;

    // little-endian so that byte k of a word is bits 8k..8k+7, whatever the CPU
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private final int pageSize;
    private final int maxLengthBytes;
    private byte[] oldCopy; // copies of pages that have no accessible array, made on first need
    private byte[] newCopy;

    public XbzrleCodec(int pageSize) {
        if (pageSize <= 0) {
            throw new IllegalArgumentException("page size " + pageSize + " must be positive");
        }
        this.pageSize = pageSize;
        this.maxLengthBytes = ulebSize(pageSize);
    }

    public int pageSize() {
        return pageSize;
    }

    /**
     * Encodes {@code newPage} against {@code oldPage} (each {@code pageSize} bytes from its position;
     * positions untouched) into {@code out[outOffset, outOffset+limit)}.
     *
     * @return bytes written (0 = unchanged), or -1 if the encoding would exceed {@code limit}
     *         (overflow: the output range then holds garbage)
     */
    public int encode(ByteBuffer oldPage, ByteBuffer newPage, byte[] out, int outOffset, int limit) {
        Objects.checkFromIndexSize(outOffset, limit, out.length);
        return encode(oldPage, newPage, out, null, outOffset, limit);
    }

    /**
     * As {@link #encode(ByteBuffer, ByteBuffer, byte[], int, int)}, writing at {@code out.position()}
     * with {@code out.remaining()} as the limit. The position advances by the bytes written and stays
     * put on overflow (-1).
     */
    public int encode(ByteBuffer oldPage, ByteBuffer newPage, ByteBuffer out) {
        int pos = out.position();
        int n = out.hasArray()
                ? encode(oldPage, newPage, out.array(), null, out.arrayOffset() + pos, out.remaining())
                : encode(oldPage, newPage, null, out, pos, out.remaining());
        if (n > 0) {
            out.position(pos + n);
        }
        return n;
    }

    private int encode(ByteBuffer oldPage, ByteBuffer newPage, byte[] outArray, ByteBuffer outBuffer,
                       int base, int limit) {
        checkPage(oldPage, "old page");
        checkPage(newPage, "new page");
        // Work on arrays: through ByteBuffer accessors the scan ran 2-6x slower. Pages without an
        // accessible array (direct, read-only) are copied first, which costs less than that.
        byte[] a;
        int ao;
        if (oldPage.hasArray()) {
            a = oldPage.array();
            ao = oldPage.arrayOffset() + oldPage.position();
        } else {
            a = oldCopy();
            ao = 0;
            oldPage.get(oldPage.position(), a, 0, pageSize);
        }
        byte[] b;
        int bo;
        if (newPage.hasArray()) {
            b = newPage.array();
            bo = newPage.arrayOffset() + newPage.position();
        } else {
            b = newCopy();
            bo = 0;
            newPage.get(newPage.position(), b, 0, pageSize);
        }
        int n = pageSize;
        int d = 0;
        int i = 0;
        while (true) {
            int changed = nextChanged(a, ao, b, bo, i);
            if (changed == n) {
                return d; // the trailing unchanged run is implied
            }
            int end = nextUnchanged(a, ao, b, bo, changed);
            int zrun = changed - i;
            int nzrun = end - changed;
            if (ulebSize(zrun) + ulebSize(nzrun) + nzrun > limit - d) {
                return -1;
            }
            d = putUleb(outArray, outBuffer, base, d, zrun);
            d = putUleb(outArray, outBuffer, base, d, nzrun);
            if (outArray != null) {
                System.arraycopy(b, bo + changed, outArray, base + d, nzrun);
            } else {
                outBuffer.put(base + d, b, bo + changed, nzrun);
            }
            d += nzrun;
            i = end;
        }
    }

    // Both scans go a word at a time and find the boundary with a bit count, so a run costs a
    // well-predicted branch instead of a mispredicted one per byte. Runs stay maximal byte runs,
    // which is what makes the output byte-exact with QEMU's.

    /** First index at or after {@code i} whose byte changed, or pageSize. */
    private int nextChanged(byte[] a, int ao, byte[] b, int bo, int i) {
        int n = pageSize;
        if (i + 8 <= n) {
            long changed = changedBytes((long) LONG.get(a, ao + i) ^ (long) LONG.get(b, bo + i));
            if (changed != 0) {
                return i + (Long.numberOfTrailingZeros(changed) >>> 3);
            }
            // a long unchanged run: mismatch() is vectorised, worth its setup from here on
            i += 8;
            int m = Arrays.mismatch(a, ao + i, ao + n, b, bo + i, bo + n);
            return m < 0 ? n : i + m;
        }
        while (i < n && a[ao + i] == b[bo + i]) {
            i++;
        }
        return i;
    }

    /** First index at or after {@code i} whose byte is unchanged, or pageSize. */
    private int nextUnchanged(byte[] a, int ao, byte[] b, int bo, int i) {
        int n = pageSize;
        while (i + 8 <= n) {
            long same = ~changedBytes((long) LONG.get(a, ao + i) ^ (long) LONG.get(b, bo + i)) & HIGHS;
            if (same != 0) {
                return i + (Long.numberOfTrailingZeros(same) >>> 3);
            }
            i += 8;
        }
        while (i < n && a[ao + i] != b[bo + i]) {
            i++;
        }
        return i;
    }

    /** The high bit of every non-zero byte of {@code x}, exactly (no borrow across bytes). */
    private static long changedBytes(long x) {
        return (((x & LOWS) + LOWS) | x) & HIGHS;
    }

    private byte[] oldCopy() {
        if (oldCopy == null) {
            oldCopy = new byte[pageSize];
        }
        return oldCopy;
    }

    private byte[] newCopy() {
        if (newCopy == null) {
            newCopy = new byte[pageSize];
        }
        return newCopy;
    }

    /**
     * Checks that {@code delta[offset, offset+length)} (absolute indices; position ignored and
     * untouched) is a well-formed delta for this page size.
     */
    public void validate(ByteBuffer delta, int offset, int length) throws XbzrleFormatException {
        apply(delta, offset, length, null);
    }

    /**
     * Applies {@code delta[offset, offset+length)} (absolute indices) onto the {@code pageSize} bytes of
     * {@code page} from its position, in place; positions untouched. Checks exactly what
     * {@link #validate} checks, as it goes: on a malformed delta the page is left partly written, so
     * callers decode into a scratch copy of the old page and store it only on success
     * (docs/design.md, invariant 4).
     */
    public void decode(ByteBuffer delta, int offset, int length, ByteBuffer page) throws XbzrleFormatException {
        Objects.requireNonNull(page, "page");
        apply(delta, offset, length, page);
    }

    // One loop for validate and decode, so the two cannot disagree on what is malformed.
    // Mirrors QEMU's xbzrle_decode_buffer, plus the bounds checks on ULEB128 reads that QEMU omits.
    private void apply(ByteBuffer delta, int offset, int length, ByteBuffer page) throws XbzrleFormatException {
        Objects.checkFromIndexSize(offset, length, delta.limit());
        int pb = 0;
        if (page != null) {
            checkPage(page, "page");
            pb = page.position();
        }
        int i = 0; // offset in the delta
        int d = 0; // offset in the page
        while (i < length) {
            long z = readUleb(delta, offset, length, i, "zero run");
            int zrun = (int) (z >>> 8);
            if (zrun == 0 && i != 0) {
                // runs are maximal, so only the leading zero run can be empty
                throw new XbzrleFormatException("empty zero run at payload offset " + i
                        + ": only the first run may be empty", i);
            }
            if (zrun > pageSize - d) {
                throw passesEnd("zero", zrun, i, d);
            }
            d += zrun;
            int at = i;
            i += (int) (z & 0xff);
            if (i == length) {
                throw new XbzrleFormatException("delta ends after the zero run at payload offset " + at
                        + ": a non-zero run must follow (a trailing unchanged run is never written)", at);
            }
            long nz = readUleb(delta, offset, length, i, "non-zero run");
            int nzrun = (int) (nz >>> 8);
            if (nzrun == 0) {
                throw new XbzrleFormatException("empty non-zero run at payload offset " + i, i);
            }
            if (nzrun > pageSize - d) {
                throw passesEnd("non-zero", nzrun, i, d);
            }
            at = i;
            i += (int) (nz & 0xff);
            if (nzrun > length - i) {
                throw new XbzrleFormatException("non-zero run of " + nzrun + " bytes at payload offset " + at
                        + " is truncated: the delta ends after " + (length - i) + " of its bytes", at);
            }
            if (page != null) {
                page.put(pb + d, delta, offset + i, nzrun);
            }
            i += nzrun;
            d += nzrun;
        }
    }

    private XbzrleFormatException passesEnd(String kind, int run, int at, int pageOffset) {
        return new XbzrleFormatException(kind + " run of " + run + " bytes at payload offset " + at
                + " passes the page end (" + pageSize + "): it starts at page offset " + pageOffset, at);
    }

    /** Reads a ULEB128 at delta offset {@code i}; returns value &lt;&lt; 8 | bytes read. */
    private long readUleb(ByteBuffer delta, int base, int length, int i, String what) throws XbzrleFormatException {
        long value = 0;
        for (int k = 0; ; k++) {
            if (k == maxLengthBytes) {
                throw new XbzrleFormatException(what + " length at payload offset " + i + " is longer than "
                        + maxLengthBytes + " bytes, the most a " + pageSize + "-byte page needs", i);
            }
            if (i + k >= length) {
                throw new XbzrleFormatException("truncated " + what + " length at payload offset " + i
                        + ": the delta ends inside its ULEB128", i);
            }
            int b = delta.get(base + i + k) & 0xff;
            value |= (long) (b & 0x7f) << (7 * k);
            if (b < 0x80) {
                // QEMU accepts non-minimal forms (0x80 0x00 for 0) as well, so we do too
                return value << 8 | (k + 1);
            }
        }
    }

    private void checkPage(ByteBuffer page, String what) {
        if (page.remaining() < pageSize) {
            throw new IllegalArgumentException(what + " has " + page.remaining()
                    + " bytes from its position, fewer than the page size " + pageSize);
        }
    }

    static int ulebSize(int value) {
        int n = 1;
        while ((value >>>= 7) != 0) {
            n++;
        }
        return n;
    }

    private static int putUleb(byte[] outArray, ByteBuffer outBuffer, int base, int d, int value) {
        while (true) {
            int b = value & 0x7f;
            value >>>= 7;
            if (value != 0) {
                b |= 0x80;
            }
            if (outArray != null) {
                outArray[base + d] = (byte) b;
            } else {
                outBuffer.put(base + d, (byte) b);
            }
            d++;
            if (value == 0) {
                return d;
            }
        }
    }
}
