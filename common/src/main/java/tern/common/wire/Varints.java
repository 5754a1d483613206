package tern.common.wire;

/** Protobuf's base-128 varints and field tags, written into an array: what packed writers need. */
public final class Varints {
    /** Wire type 0: varint. */
    public static final int VARINT = 0;
    /** Wire type 2: length-delimited. */
    public static final int LEN = 2;

    private Varints() {
    }

    /** The bytes {@code v} takes as a varint (unsigned; negative ints take 10, as protobuf's int32 does). */
    public static int size(long v) {
        // 1 + (bits above the lowest 7) / 7, without a loop: 64 - nlz gives the bit length.
        int bits = 64 - Long.numberOfLeadingZeros(v | 1);
        return (bits + 6) / 7;
    }

    /** Writes {@code v} at {@code pos}; returns the position after it. */
    public static int put(byte[] out, int pos, long v) {
        while ((v & ~0x7FL) != 0) {
            out[pos++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        out[pos++] = (byte) v;
        return pos;
    }

    /** Writes the tag of field {@code number} with {@code wireType}; returns the position after it. */
    public static int tag(byte[] out, int pos, int number, int wireType) {
        return put(out, pos, ((long) number << 3) | wireType);
    }

    public static int tagSize(int number) {
        return size((long) number << 3);
    }
}
