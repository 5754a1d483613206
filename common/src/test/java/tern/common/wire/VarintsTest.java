package tern.common.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.CodedOutputStream;
import java.io.IOException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class VarintsTest {
    @Test
    void matchesProtobufAtEveryWidth() throws IOException {
        long[] values = {0, 1, 127, 128, 16_383, 16_384, (1L << 21) - 1, 1L << 21, (1L << 28) - 1, 1L << 28,
            Integer.MAX_VALUE, 1L << 35, 1L << 56, Long.MAX_VALUE, -1L, Long.MIN_VALUE};
        for (long v : values) {
            byte[] want = new byte[10];
            CodedOutputStream cos = CodedOutputStream.newInstance(want);
            cos.writeUInt64NoTag(v);
            int wantLen = cos.getTotalBytesWritten();
            byte[] got = new byte[10];
            int len = Varints.put(got, 0, v);
            assertEquals(wantLen, len, "length of " + v);
            assertEquals(CodedOutputStream.computeUInt64SizeNoTag(v), Varints.size(v), "size of " + v);
            assertArrayEquals(Arrays.copyOf(want, wantLen), Arrays.copyOf(got, len), "bytes of " + v);
        }
    }

    @Test
    void tagsMatchProtobuf() throws IOException {
        for (int field : new int[] {1, 2, 6, 15, 16, 2047, 2048, 536_870_911}) {
            byte[] want = new byte[5];
            CodedOutputStream cos = CodedOutputStream.newInstance(want);
            cos.writeTag(field, Varints.LEN);
            byte[] got = new byte[5];
            int len = Varints.tag(got, 0, field, Varints.LEN);
            assertEquals(cos.getTotalBytesWritten(), len);
            assertEquals(CodedOutputStream.computeTagSize(field), Varints.tagSize(field));
            assertArrayEquals(Arrays.copyOf(want, len), Arrays.copyOf(got, len), "tag of field " + field);
        }
    }
}
