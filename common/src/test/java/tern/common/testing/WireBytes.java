package tern.common.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.function.Supplier;
import tern.common.wire.WireMessage;

/** The two checks on a hand-written encoder ({@link WireMessage}): protobuf's own bytes, and no allocation. */
public final class WireBytes {
    private WireBytes() {
    }

    /** Fails unless {@code m} writes exactly {@code want} (the generated code's bytes) and says so in its size. */
    public static void assertWrites(byte[] want, WireMessage m, String what) throws IOException {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        m.writeTo(got);
        assertEquals(want.length, m.serializedSize(), "size, " + what);
        assertArrayEquals(want, got.toByteArray(), "bytes, " + what);
    }

    /** Bytes allocated per message {@code next} builds and writes to a stream that drops them ({@link Allocations#perCall}). */
    public static double allocatedPerMessage(int calls, Supplier<? extends WireMessage> next) {
        OutputStream sink = OutputStream.nullOutputStream();
        return Allocations.perCall(calls, () -> {
            try {
                next.get().writeTo(sink);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }
}
