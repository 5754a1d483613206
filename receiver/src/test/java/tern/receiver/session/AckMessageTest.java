package tern.receiver.session;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.util.Random;
import org.junit.jupiter.api.Test;
import tern.common.testing.ProtoSchema;
import tern.common.testing.WireBytes;
import tern.proto.BatchAck;
import tern.proto.ReceiverMessage;

class AckMessageTest {
    @Test
    void writesEveryFieldOfBatchAck() {
        ProtoSchema.assertWritesEveryField(BatchAck.getDescriptor(), "AckMessage", AckMessage.FIELDS_WRITTEN);
    }

    @Test
    void writesWhatTheGeneratedCodeWrites() throws IOException {
        Random r = new Random(3);
        AckMessage ack = new AckMessage();
        byte[] digests = new byte[1024 * 32];
        r.nextBytes(digests);
        long[] sequences = {0, 1, 127, 128, 1L << 40, Long.MAX_VALUE, -1L};
        int[] lengths = {0, 16, 20, 32, 64 * 32, 1024 * 32};
        for (long seq : sequences) {
            for (int len : lengths) {
                byte[] want = ReceiverMessage.newBuilder().setAck(BatchAck.newBuilder().setSequence(seq)
                        .setDigests(ByteString.copyFrom(digests, 0, len))).build().toByteArray();
                WireBytes.assertWrites(want, ack.of(seq, digests, len), "sequence " + seq + ", " + len + " bytes");
            }
        }
    }

    @Test
    void acknowledgingAllocatesNothing() {
        AckMessage ack = new AckMessage();
        byte[] digests = new byte[64 * 32];
        long[] seq = {1};
        double perAck = WireBytes.allocatedPerMessage(5_000, () -> ack.of(seq[0]++, digests, digests.length));
        assertEquals(0, perAck, 1.0, "bytes allocated per acknowledgement");
    }
}
