package tern.receiver.session;

import java.io.IOException;
import java.io.OutputStream;
import tern.common.wire.ProtoFields;
import tern.common.wire.WireMessage;
import tern.proto.BatchAck;
import tern.proto.ReceiverMessage;

/**
 * A batch's acknowledgement, written as the {@code ReceiverMessage}/{@code BatchAck} bytes the
 * generated code would write, from the decoder's reusable digest array: one per batch, so the
 * builders' copy of every digest (about 60 bytes of garbage per page) is gone.
 */
final class AckMessage implements WireMessage {
    /** The BatchAck fields {@link #of} writes: AckMessageTest fails when migration.proto has another. */
    static final int[] FIELDS_WRITTEN = {BatchAck.SEQUENCE_FIELD_NUMBER, BatchAck.DIGESTS_FIELD_NUMBER};

    private final byte[] header = new byte[32];
    private byte[] digests;
    private int digestBytes;
    private int headerLength;

    /** This message as the acknowledgement of batch {@code sequence}: {@code digests[0, length)}. */
    AckMessage of(long sequence, byte[] digests, int length) {
        this.digests = digests;
        this.digestBytes = length;
        int ackSize = ProtoFields.varintSize(BatchAck.SEQUENCE_FIELD_NUMBER, sequence)
                + ProtoFields.delimitedSize(BatchAck.DIGESTS_FIELD_NUMBER, length);
        int pos = ProtoFields.delimited(header, 0, ReceiverMessage.ACK_FIELD_NUMBER, ackSize);
        pos = ProtoFields.varint(header, pos, BatchAck.SEQUENCE_FIELD_NUMBER, sequence);
        if (length != 0) {
            pos = ProtoFields.delimited(header, pos, BatchAck.DIGESTS_FIELD_NUMBER, length);
        }
        headerLength = pos;
        return this;
    }

    @Override
    public int serializedSize() {
        return headerLength + digestBytes;
    }

    @Override
    public void writeTo(OutputStream out) throws IOException {
        out.write(header, 0, headerLength);
        out.write(digests, 0, digestBytes);
    }
}
