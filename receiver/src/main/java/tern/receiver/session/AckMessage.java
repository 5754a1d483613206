package tern.receiver.session;

import java.io.IOException;
import java.io.OutputStream;
import tern.common.wire.Varints;
import tern.common.wire.WireMessage;
import tern.proto.BatchAck;
import tern.proto.ReceiverMessage;

/**
 * A batch's acknowledgement, written as the {@code ReceiverMessage}/{@code BatchAck} bytes the
 * generated code would write, from the decoder's reusable digest array: one per batch, so the
 * builders' copy of every digest (about 60 bytes of garbage per page) is gone.
 */
final class AckMessage implements WireMessage {
    private final byte[] header = new byte[32];
    private byte[] digests;
    private int digestBytes;
    private int headerLength;

    /** This message as the acknowledgement of batch {@code sequence}: {@code digests[0, length)}. */
    AckMessage of(long sequence, byte[] digests, int length) {
        this.digests = digests;
        this.digestBytes = length;
        int ackSize = (sequence == 0 ? 0 : Varints.tagSize(BatchAck.SEQUENCE_FIELD_NUMBER) + Varints.size(sequence))
                + (length == 0 ? 0 : Varints.tagSize(BatchAck.DIGESTS_FIELD_NUMBER) + Varints.size(length) + length);
        int pos = Varints.tag(header, 0, ReceiverMessage.ACK_FIELD_NUMBER, Varints.LEN);
        pos = Varints.put(header, pos, ackSize);
        if (sequence != 0) {
            pos = Varints.tag(header, pos, BatchAck.SEQUENCE_FIELD_NUMBER, Varints.VARINT);
            pos = Varints.put(header, pos, sequence);
        }
        if (length != 0) {
            pos = Varints.tag(header, pos, BatchAck.DIGESTS_FIELD_NUMBER, Varints.LEN);
            pos = Varints.put(header, pos, length);
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
