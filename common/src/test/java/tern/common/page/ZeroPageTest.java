package tern.common.page;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class ZeroPageTest {
    @Test
    void findsAnyNonZeroByteAndLeavesThePositionAlone() {
        ZeroPage z = new ZeroPage(4096);
        for (ByteBuffer b : new ByteBuffer[] {ByteBuffer.allocate(4096 + 10), ByteBuffer.allocateDirect(4096 + 10)}) {
            b.position(5).limit(5 + 4096);
            assertTrue(z.isZero(b));
            for (int at : new int[] {5, 6, 12, 13, 2000, 5 + 4095}) {
                b.put(at, (byte) 1);
                assertFalse(z.isZero(b), "byte " + at);
                b.put(at, (byte) 0);
            }
            b.limit(b.capacity()).put(4, (byte) 1).put(5 + 4096, (byte) 1); // outside the page
            b.limit(5 + 4096);
            assertTrue(z.isZero(b));
            assertTrue(b.position() == 5 && b.limit() == 5 + 4096);
        }
        assertThrows(IllegalArgumentException.class, () -> z.isZero(ByteBuffer.allocate(100)));
    }
}
