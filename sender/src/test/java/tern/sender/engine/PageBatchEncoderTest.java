package tern.sender.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Random;
import org.junit.jupiter.api.Test;
import tern.common.testing.ProtoSchema;
import tern.common.testing.WireBytes;
import tern.proto.PageBatch;
import tern.proto.PageEncoding;
import tern.proto.SenderMessage;

class PageBatchEncoderTest {
    private static final int PAGE = 4096;

    @Test
    void writesEveryFieldOfPageBatch() {
        ProtoSchema.assertWritesEveryField(PageBatch.getDescriptor(), "PageBatchEncoder", PageBatchEncoder.FIELDS_WRITTEN);
    }

    /** The encoder's own bytes must be exactly what protobuf's generated code writes for the same batch. */
    @Test
    void writesWhatTheGeneratedCodeWrites() throws IOException {
        Random r = new Random(7);
        PageBatchEncoder enc = new PageBatchEncoder(64, PAGE);
        for (int trial = 0; trial < 300; trial++) {
            enc.reset();
            PageBatch.Builder expected = PageBatch.newBuilder();
            int n = trial == 0 ? 0 : 1 + r.nextInt(64);
            ByteArrayOutputStream payload = new ByteArrayOutputStream();
            byte[] encodings = new byte[n];
            for (int i = 0; i < n; i++) {
                // indexes of every varint width, up to the largest int
                int page = switch (r.nextInt(4)) {
                    case 0 -> r.nextInt(128);
                    case 1 -> r.nextInt(1 << 21);
                    case 2 -> r.nextInt(Integer.MAX_VALUE);
                    default -> Integer.MAX_VALUE - r.nextInt(3);
                };
                PageEncoding e = PageEncoding.forNumber(1 + r.nextInt(3));
                int length = switch (e) {
                    case RAW -> PAGE;
                    case ZERO -> 0;
                    default -> r.nextInt(PAGE + 1);
                };
                byte[] bytes = new byte[length];
                r.nextBytes(bytes);
                enc.payloadTail().put(bytes);
                enc.add(page, e, length);
                payload.write(bytes);
                expected.addPageIndexes(page).addPayloadLengths(length);
                encodings[i] = (byte) e.getNumber();
            }
            long seq = trial == 1 ? 0 : 1 + (r.nextBoolean() ? r.nextInt(1000) : r.nextLong() >>> 1);
            int iteration = trial == 2 ? 0 : 1 + r.nextInt(r.nextBoolean() ? 10 : Integer.MAX_VALUE - 1);
            expected.setSequence(seq).setIteration(iteration)
                    .setEncodings(ByteString.copyFrom(encodings)).setPayload(ByteString.copyFrom(payload.toByteArray()));
            byte[] want = SenderMessage.newBuilder().setBatch(expected).build().toByteArray();

            WireBytes.assertWrites(want, enc.message(seq, iteration), "trial " + trial);
        }
    }

    @Test
    void encodingABatchAllocatesNothing() {
        PageBatchEncoder enc = new PageBatchEncoder(64, PAGE);
        byte[] page = new byte[PAGE];
        double perBatch = WireBytes.allocatedPerMessage(2_000, () -> {
            enc.reset();
            for (int i = 0; i < 64; i++) {
                enc.payloadTail().put(page);
                enc.add(i * 977, PageEncoding.RAW, PAGE);
            }
            return enc.message(42, 3);
        });
        assertEquals(0, perBatch, 1.0, "bytes allocated per 64-page batch");
    }
}
