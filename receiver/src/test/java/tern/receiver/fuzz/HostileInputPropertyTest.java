package tern.receiver.fuzz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tern.common.xbzrle.XbzrleCodec;
import tern.common.xbzrle.XbzrleFormatException;

/**
 * Property tests of the same invariants the fuzzer checks, from seeded random generators
 * (reproducible: a failure names its seed), so they run in every build without the fuzzer.
 */
class HostileInputPropertyTest {
    @TempDir
    Path dir;

    /** 2,500 hostile sessions: each refusal names what was wrong, the image always equals the model. */
    @Test
    void anySessionLeavesTheImageAsTheModelSays() throws Exception {
        HostileStats stats = new HostileStats();
        for (long seed = 1; seed <= 2_500; seed++) {
            try {
                new HostileSession(dir.resolve("image.img"), stats, Choices.of(new Random(seed))).run();
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError("seed " + seed + ": " + e.getMessage(), e);
            }
        }
        assertEquals(0, stats.foreignBytes.sum());
        // the generator reaches deep: stored pages and verdicts, not only refused hellos
        assertTrue(stats.pagesStored.sum() > 500 && stats.verdicts.sum() > 10 && stats.refused.sum() > 500,
                stats::summary);
    }

    /**
     * 400 hostile peers against a real server over raw HTTP/2 (HostilePeer): every reply parses,
     * every refusal names what was wrong, no foreign byte, and the generator reaches deep.
     */
    @Test
    void anyPeerLeavesTheImageWithoutAForeignByte() throws Exception {
        HostileStats stats = new HostileStats();
        // tmpfs where there is one, as the fuzz runs: every accepted hello writes the resume file and fsyncs it
        HostilePeer.Target target = HostilePeer.Target.start(SessionFuzzTest.tempDir());
        try {
            for (long seed = 1; seed <= 400; seed++) {
                try {
                    new HostilePeer(target, stats, Choices.of(new Random(seed))).run();
                } catch (AssertionError | RuntimeException e) {
                    throw new AssertionError("seed " + seed + ": " + e.getMessage(), e);
                }
            }
        } finally {
            target.close();
        }
        assertEquals(0, stats.foreignBytes.sum());
        assertTrue(stats.batchesStored.sum() > 100 && stats.verdicts.sum() > 5 && stats.refused.sum() > 50
                && stats.resets.sum() > 20, stats::peerSummary);
    }

    /**
     * For any bytes as a delta: the receiver's validate and decode agree, and what they accept
     * decodes as the reference decoder does; what they refuse leaves nothing applied through the
     * receiver's path (it decodes into a scratch copy).
     */
    @Test
    void xbzrleValidateAndDecodeAgreeWithTheReference() {
        int size = 512;
        XbzrleCodec codec = new XbzrleCodec(size);
        Random r = new Random(42);
        int accepted = 0;
        for (int i = 0; i < 60_000; i++) {
            byte[] old = new byte[size];
            r.nextBytes(old);
            byte[] delta = randomDelta(r, size);
            boolean valid;
            try {
                codec.validate(ByteBuffer.wrap(delta), 0, delta.length);
                valid = true;
            } catch (XbzrleFormatException e) {
                valid = false;
                assertTrue(e.getMessage() != null && !e.getMessage().isBlank());
            }
            ByteBuffer page = ByteBuffer.wrap(old.clone());
            if (valid) {
                accepted++;
                assertDoesNotThrowFormat(codec, delta, page, i);
                byte[] want = old.clone();
                ReferenceXbzrle.apply(delta, 0, delta.length, want, 0, size);
                assertArrayEquals(want, page.array(), "case " + i);
            } else {
                assertThrows(XbzrleFormatException.class, () -> codec.decode(ByteBuffer.wrap(delta), 0, delta.length, page),
                        "case " + i + ": validate refused what decode accepts");
            }
        }
        assertTrue(accepted > 3_000 && accepted < 57_000, "accepted " + accepted + " of 60000: the generator is one-sided");
    }

    @Test
    void xbzrleRoundTripsAnyPageChange() {
        int size = 4096;
        XbzrleCodec codec = new XbzrleCodec(size);
        Random r = new Random(7);
        byte[] out = new byte[size];
        for (int i = 0; i < 20_000; i++) {
            byte[] old = new byte[size];
            r.nextBytes(old);
            byte[] next = old.clone();
            for (int c = r.nextInt(40); c > 0; c--) {
                next[r.nextInt(size)] = (byte) r.nextInt();
            }
            int n = codec.encode(ByteBuffer.wrap(old), ByteBuffer.wrap(next), out, 0, size);
            if (n < 0) {
                continue; // overflow: sent RAW instead
            }
            byte[] got = old.clone();
            ReferenceXbzrle.apply(out, 0, n, got, 0, size);
            assertArrayEquals(next, got, "case " + i);
        }
    }

    private static void assertDoesNotThrowFormat(XbzrleCodec codec, byte[] delta, ByteBuffer page, int i) {
        try {
            codec.decode(ByteBuffer.wrap(delta), 0, delta.length, page);
        } catch (XbzrleFormatException e) {
            throw new AssertionError("case " + i + ": validate accepted what decode refuses: " + e.getMessage());
        }
    }

    /** Mostly well-formed run pairs with small lengths, sometimes cut short or overlong, sometimes noise. */
    private static byte[] randomDelta(Random r, int size) {
        if (r.nextInt(8) == 0) {
            byte[] noise = new byte[r.nextInt(12)];
            r.nextBytes(noise);
            return noise;
        }
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        int pairs = 1 + r.nextInt(4);
        for (int p = 0; p < pairs; p++) {
            uleb(b, r.nextInt(4) == 0 ? r.nextInt(size * 2) : r.nextInt(40));
            int n = r.nextInt(8) == 0 ? r.nextInt(size) : r.nextInt(6);
            uleb(b, n);
            for (int i = 0; i < n; i++) {
                b.write(r.nextInt(256));
            }
        }
        byte[] d = b.toByteArray();
        return r.nextInt(6) == 0 ? Arrays.copyOf(d, r.nextInt(d.length + 1)) : d;
    }

    private static void uleb(java.io.ByteArrayOutputStream b, int v) {
        while (v >= 0x80) {
            b.write((v & 0x7f) | 0x80);
            v >>>= 7;
        }
        b.write(v);
    }
}
