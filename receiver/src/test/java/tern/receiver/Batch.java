package tern.receiver;

import com.google.protobuf.ByteString;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import tern.proto.PageBatch;
import tern.proto.SenderMessage;

/** A PageBatch built page by page, with ways to make it inconsistent on purpose. */
final class Batch {
    private final PageBatch.Builder b;
    private final ByteArrayOutputStream encodings = new ByteArrayOutputStream();
    private final ByteArrayOutputStream payload = new ByteArrayOutputStream();
    private byte[] encodingsOverride;
    private int trim;
    private int extra;
    private boolean dropLastLength;

    Batch(long sequence) {
        b = PageBatch.newBuilder().setSequence(sequence).setIteration(1);
    }

    Batch iteration(int i) {
        b.setIteration(i);
        return this;
    }

    Batch page(long index, int encoding, byte[] bytes, int declaredLength) {
        b.addPageIndexes(index);
        encodings.write(encoding);
        b.addPayloadLengths(declaredLength);
        payload.writeBytes(bytes);
        return this;
    }

    Batch raw(long index, byte[] page) {
        return page(index, ReceiverFixture.RAW, page, page.length);
    }

    Batch zero(long index) {
        return page(index, ReceiverFixture.ZERO, new byte[0], 0);
    }

    Batch xbzrle(long index, byte[] delta) {
        return page(index, ReceiverFixture.XBZRLE, delta, delta.length);
    }

    Batch xbzrle(long index, int... bytes) {
        byte[] d = new byte[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            d[i] = (byte) bytes[i];
        }
        return xbzrle(index, d);
    }

    Batch trimPayload(int bytes) {
        trim = bytes;
        return this;
    }

    Batch extraPayload(int bytes) {
        extra = bytes;
        return this;
    }

    Batch overrideEncodings(byte[] e) {
        encodingsOverride = e;
        return this;
    }

    Batch dropLastLength() {
        dropLastLength = true;
        return this;
    }

    SenderMessage build() {
        PageBatch.Builder out = b.clone();
        out.setEncodings(ByteString.copyFrom(encodingsOverride != null ? encodingsOverride : encodings.toByteArray()));
        if (dropLastLength) {
            List<Integer> lengths = new ArrayList<>(out.getPayloadLengthsList());
            lengths.remove(lengths.size() - 1);
            out.clearPayloadLengths().addAllPayloadLengths(lengths);
        }
        byte[] p = payload.toByteArray();
        p = Arrays.copyOf(p, p.length - trim + extra);
        out.setPayload(ByteString.copyFrom(p));
        return SenderMessage.newBuilder().setBatch(out).build();
    }
}
