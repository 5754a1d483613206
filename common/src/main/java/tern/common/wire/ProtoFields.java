package tern.common.wire;

/**
 * Field headers of a hand-written protobuf encoding (the sender's PageBatchEncoder, the
 * receiver's AckMessage), written into a reusable array the proto3 way: a scalar field holding
 * its default (0, or no bytes) is not written, so the bytes equal what the generated code writes.
 */
public final class ProtoFields {
    private ProtoFields() {
    }

    /** Bytes of varint field {@code number} holding {@code value}; 0 when the value is 0 (not written). */
    public static int varintSize(int number, long value) {
        return value == 0 ? 0 : Varints.tagSize(number) + Varints.size(value);
    }

    /** Bytes of length-delimited field {@code number} with {@code length} bytes of content; 0 when empty (not written). */
    public static int delimitedSize(int number, int length) {
        return length == 0 ? 0 : Varints.tagSize(number) + Varints.size(length) + length;
    }

    /** Writes varint field {@code number} unless {@code value} is 0; returns the position after it. */
    public static int varint(byte[] out, int pos, int number, long value) {
        if (value == 0) {
            return pos;
        }
        pos = Varints.tag(out, pos, number, Varints.VARINT);
        return Varints.put(out, pos, value);
    }

    /** Bytes of the first {@code count} of {@code values} as packed varints: a packed field's content length. */
    public static int packedLength(int[] values, int count) {
        int n = 0;
        for (int i = 0; i < count; i++) {
            n += Varints.size(values[i]);
        }
        return n;
    }

    /**
     * Writes packed repeated varint field {@code number}: its tag, {@code length} (from
     * {@link #packedLength}) and the first {@code count} of {@code values}; nothing when
     * {@code count} is 0. Returns the position after it.
     */
    public static int packed(byte[] out, int pos, int number, int[] values, int count, int length) {
        if (count == 0) {
            return pos;
        }
        pos = delimited(out, pos, number, length);
        for (int i = 0; i < count; i++) {
            pos = Varints.put(out, pos, values[i]);
        }
        return pos;
    }

    /**
     * Writes the tag and length of length-delimited field {@code number}, whose {@code length}
     * bytes of content the caller writes next; returns the position after them.
     */
    public static int delimited(byte[] out, int pos, int number, int length) {
        pos = Varints.tag(out, pos, number, Varints.LEN);
        return Varints.put(out, pos, length);
    }
}
