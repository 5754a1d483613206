package tern.common.xbzrle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import tern.common.testing.Allocations;

class XbzrleCodecTest {
    private static final int PAGE = 4096;
    private final XbzrleCodec codec = new XbzrleCodec(PAGE);

    // docs/design.md, from QEMU docs/devel/migration/xbzrle.rst
    private static final byte[] DOC_OLD = page(1001, "05060708090a0b0c0d0e0f10111213680000 6b006d");
    private static final byte[] DOC_NEW = page(1001, "0102030405060708090a0b0c0d0e0f680000 670069");
    private static final byte[] DOC_DELTA = hex("e9070f0102030405060708090a0b0c0d0e0f03016701 0169");

    @Test
    void qemuDocumentationVectorEncodesByteForByte() {
        byte[] out = new byte[PAGE];
        assertEquals(24, codec.encode(ByteBuffer.wrap(DOC_OLD), ByteBuffer.wrap(DOC_NEW), out, 0, PAGE));
        assertArrayEquals(DOC_DELTA, Arrays.copyOf(out, 24));

        ByteBuffer direct = ByteBuffer.allocateDirect(100).position(10);
        assertEquals(24, codec.encode(direct(DOC_OLD), direct(DOC_NEW), direct));
        assertEquals(34, direct.position());
        byte[] got = new byte[24];
        direct.get(10, got);
        assertArrayEquals(DOC_DELTA, got);
    }

    @Test
    void qemuDocumentationVectorDecodes() throws Exception {
        ByteBuffer page = ByteBuffer.wrap(DOC_OLD.clone());
        codec.validate(ByteBuffer.wrap(DOC_DELTA), 0, DOC_DELTA.length);
        codec.decode(ByteBuffer.wrap(DOC_DELTA).asReadOnlyBuffer(), 0, DOC_DELTA.length, page);
        assertArrayEquals(DOC_NEW, page.array());
        assertEquals(0, page.position());
    }

    @Test
    void unchangedPageEncodesToNothingAndAnEmptyDeltaChangesNothing() throws Exception {
        byte[] old = random(1, PAGE);
        byte[] out = new byte[1];
        assertEquals(0, codec.encode(ByteBuffer.wrap(old), ByteBuffer.wrap(old.clone()), out, 0, 0));
        ByteBuffer page = ByteBuffer.wrap(old.clone());
        codec.decode(ByteBuffer.allocate(0), 0, 0, page);
        assertArrayEquals(old, page.array());
    }

    @Test
    void changesAtTheEdgesOfThePage() {
        byte[] old = new byte[PAGE];
        byte[] last = old.clone();
        last[PAGE - 1] = 7; // as QEMU's test_encode_decode_1_byte
        assertEquals("ff1f0107", encodeHex(old, last));
        byte[] first = old.clone();
        first[0] = 9; // the leading zero run is written even when empty
        assertEquals("000109", encodeHex(old, first));
        byte[] both = old.clone();
        both[0] = 1;
        both[1] = 2;
        both[PAGE - 1] = 3;
        assertEquals("00020102fd1f0103", encodeHex(old, both));
    }

    @Test
    void encodesAndDecodesRandomPagePairsLikeAPlainReferenceEncoder() throws Exception {
        Random r = new Random(20261101);
        int checked = 0;
        int overflows = 0;
        for (int trial = 0; trial < 600; trial++) {
            int pageSize = trial % 5 == 4 ? 65536 : PAGE;
            XbzrleCodec c = pageSize == PAGE ? codec : new XbzrleCodec(pageSize);
            byte[] old = r.nextBoolean() ? random(r.nextLong(), pageSize) : new byte[pageSize];
            byte[] neu = mutate(r, old, trial);
            byte[] expected = reference(old, neu);
            int limit = trial % 7 == 0 ? r.nextInt(expected.length + 2) : pageSize;

            for (Function<byte[], ByteBuffer> kind : BUFFER_KINDS) {
                byte[] out = new byte[limit + 3];
                int n = c.encode(kind.apply(old), kind.apply(neu), out, 3, limit);
                if (expected.length > limit) {
                    assertEquals(-1, n, "trial " + trial + ": " + expected.length + " bytes should overflow " + limit);
                    overflows++;
                    continue;
                }
                assertEquals(expected.length, n, "trial " + trial);
                assertArrayEquals(expected, Arrays.copyOfRange(out, 3, 3 + n), "trial " + trial);

                ByteBuffer outBuffer = ByteBuffer.allocateDirect(limit);
                assertEquals(n, c.encode(kind.apply(old), kind.apply(neu), outBuffer));
                assertEquals(n, outBuffer.position());

                ByteBuffer scratch = ByteBuffer.allocateDirect(pageSize + 5).position(5);
                scratch.put(old).position(5);
                c.validate(ByteBuffer.wrap(out), 3, n);
                c.decode(ByteBuffer.wrap(out).asReadOnlyBuffer(), 3, n, scratch);
                byte[] decoded = new byte[pageSize];
                scratch.get(5, decoded);
                assertArrayEquals(neu, decoded, "trial " + trial);
                checked++;
            }
        }
        assertTrue(checked > 1000 && overflows > 100, checked + " round trips, " + overflows + " overflows");
    }

    @Test
    void aFullyRandomPageOverflowsAndTheOutputBufferKeepsItsPosition() {
        byte[] old = random(3, PAGE);
        byte[] neu = random(4, PAGE);
        assertEquals(-1, codec.encode(ByteBuffer.wrap(old), ByteBuffer.wrap(neu), new byte[PAGE], 0, PAGE));
        ByteBuffer out = ByteBuffer.allocate(PAGE + 8).position(8);
        assertEquals(-1, codec.encode(ByteBuffer.wrap(old), ByteBuffer.wrap(neu), out));
        assertEquals(8, out.position());
        // with room to spare it still encodes: the limit alone decides
        assertTrue(codec.encode(ByteBuffer.wrap(old), ByteBuffer.wrap(neu), new byte[2 * PAGE], 0, 2 * PAGE) > PAGE);
    }

    @Test
    void theLimitIsExact() {
        assertEquals(-1, codec.encode(ByteBuffer.wrap(DOC_OLD), ByteBuffer.wrap(DOC_NEW), new byte[30], 0, 23));
        assertEquals(24, codec.encode(ByteBuffer.wrap(DOC_OLD), ByteBuffer.wrap(DOC_NEW), new byte[30], 6, 24));
        assertEquals(-1, codec.encode(ByteBuffer.wrap(DOC_OLD), ByteBuffer.wrap(DOC_NEW), ByteBuffer.allocate(23)));
    }

    @Test
    void longRunsUseLongerLengthsOnLargePages() throws Exception {
        XbzrleCodec big = new XbzrleCodec(65536);
        byte[] old = new byte[65536];
        byte[] neu = old.clone();
        Arrays.fill(neu, 20000, 40000, (byte) 1); // zero run 20000, non-zero run 20000: 3-byte lengths
        byte[] out = new byte[65536];
        int n = big.encode(ByteBuffer.wrap(old), ByteBuffer.wrap(neu), out, 0, out.length);
        assertEquals(3 + 3 + 20000, n);
        assertEquals("a09c01a09c01", HexFormat.of().formatHex(out, 0, 6));
        ByteBuffer page = ByteBuffer.wrap(old.clone());
        big.decode(ByteBuffer.wrap(out), 0, n, page);
        assertArrayEquals(neu, page.array());
        // 3 bytes are too many for a 4 KiB page even when the value is small
        expectMalformed(codec, "808000", "zero run length at payload offset 0 is longer than 2 bytes, the most a 4096-byte page needs", 0);
        expectMalformed(big, "80808000", "zero run length at payload offset 0 is longer than 3 bytes, the most a 65536-byte page needs", 0);
    }

    @Test
    void nonMinimalLengthsAreAcceptedAsQemuDoes() throws Exception {
        ByteBuffer page = ByteBuffer.allocate(PAGE);
        codec.decode(ByteBuffer.wrap(hex("8000 8100 aa")), 0, 5, page); // zero run 0, non-zero run 1
        assertEquals((byte) 0xaa, page.get(0));
    }

    @Test
    void malformedDeltasAreRejectedSayingWhereAndWhy() throws Exception {
        expectMalformed(codec, "80", "truncated zero run length at payload offset 0: the delta ends inside its ULEB128", 0);
        expectMalformed(codec, "0480", "truncated non-zero run length at payload offset 1: the delta ends inside its ULEB128", 1);
        expectMalformed(codec, "00 808001 aa", "non-zero run length at payload offset 1 is longer than 2 bytes, the most a 4096-byte page needs", 1);
        expectMalformed(codec, "0000", "empty non-zero run at payload offset 1", 1);
        expectMalformed(codec, "05", "delta ends after the zero run at payload offset 0: a non-zero run must follow"
                + " (a trailing unchanged run is never written)", 0);
        expectMalformed(codec, "0001aa 05", "delta ends after the zero run at payload offset 3: a non-zero run must follow"
                + " (a trailing unchanged run is never written)", 3);
        expectMalformed(codec, "000501 02", "non-zero run of 5 bytes at payload offset 1 is truncated: the delta ends after 2 of its bytes", 1);
        expectMalformed(codec, "ff7f 01aa", "zero run of 16383 bytes at payload offset 0 passes the page end (4096): it starts at page offset 0", 0);
        expectMalformed(codec, "a01f ac02" + "00".repeat(300),
                "non-zero run of 300 bytes at payload offset 2 passes the page end (4096): it starts at page offset 4000", 2);
        expectMalformed(codec, "0001aa 0001bb", "empty zero run at payload offset 3: only the first run may be empty", 3);
    }

    @Test
    void validateAndDecodeAgreeOnArbitraryBytes() {
        Random r = new Random(7);
        byte[] base = random(8, PAGE);
        byte[] target = base.clone();
        for (int i = 0; i < 40; i++) {
            target[r.nextInt(PAGE)] ^= (byte) (1 + r.nextInt(255));
        }
        byte[] valid = reference(base, target);
        int accepted = 0;
        int rejected = 0;
        for (int trial = 0; trial < 20_000; trial++) {
            byte[] delta;
            switch (trial % 3) {
                case 0 -> { // short strings of small numbers, which are sometimes well-formed
                    delta = new byte[r.nextInt(12)];
                    for (int i = 0; i < delta.length; i++) {
                        delta[i] = (byte) (r.nextInt(4) == 0 ? r.nextInt(256) : r.nextInt(8));
                    }
                }
                case 1 -> { // a valid delta with one byte changed
                    delta = valid.clone();
                    delta[r.nextInt(delta.length)] = (byte) r.nextInt(256);
                }
                default -> delta = Arrays.copyOf(valid, r.nextInt(valid.length + 1)); // cut short
            }
            String validateSays = message(() -> codec.validate(ByteBuffer.wrap(delta), 0, delta.length));
            ByteBuffer page = ByteBuffer.wrap(base.clone());
            String decodeSays = message(() -> codec.decode(ByteBuffer.wrap(delta), 0, delta.length, page));
            assertEquals(validateSays, decodeSays, HexFormat.of().formatHex(delta));
            if (validateSays == null) {
                accepted++;
            } else {
                rejected++;
            }
        }
        assertTrue(accepted > 1000 && rejected > 1000, accepted + " accepted, " + rejected + " rejected");
    }

    @Test
    void noMethodAllocates() {
        byte[] old = random(11, PAGE);
        byte[] neu = old.clone();
        for (int i = 0; i < PAGE; i += 97) {
            neu[i] ^= 0x55;
        }
        ByteBuffer oldHeap = ByteBuffer.wrap(old);
        ByteBuffer newHeap = ByteBuffer.wrap(neu);
        ByteBuffer oldDirect = direct(old);
        ByteBuffer newDirect = direct(neu);
        byte[] out = new byte[PAGE];
        ByteBuffer outDirect = ByteBuffer.allocateDirect(PAGE);
        int n = codec.encode(oldHeap, newHeap, out, 0, PAGE);
        ByteBuffer delta = ByteBuffer.wrap(out, 0, n);
        ByteBuffer readOnlyDelta = delta.asReadOnlyBuffer(); // what a protobuf ByteString gives the receiver
        ByteBuffer scratch = ByteBuffer.allocateDirect(PAGE);
        double perCall = Allocations.perCall(20_000, () -> {
            codec.encode(oldHeap, newHeap, out, 0, PAGE);
            codec.encode(oldDirect, newHeap, out, 0, PAGE);
            outDirect.clear();
            codec.encode(oldDirect, newDirect, outDirect);
            try {
                codec.validate(delta, 0, n);
                scratch.put(0, old);
                codec.decode(delta, 0, n, scratch);
                codec.validate(readOnlyDelta, 0, n);
                codec.decode(readOnlyDelta, 0, n, scratch);
            } catch (XbzrleFormatException e) {
                throw new AssertionError(e);
            }
        });
        assertTrue(perCall < 1, perCall + " bytes allocated per round");
    }

    @Test
    void misuseIsAProgrammingError() {
        assertThrows(IllegalArgumentException.class, () -> new XbzrleCodec(0));
        ByteBuffer small = ByteBuffer.allocate(PAGE - 1);
        ByteBuffer ok = ByteBuffer.allocate(PAGE);
        assertThrows(IllegalArgumentException.class, () -> codec.encode(small, ok, new byte[10], 0, 10));
        assertThrows(IllegalArgumentException.class, () -> codec.decode(ByteBuffer.wrap(DOC_DELTA), 0, 24, small));
        assertThrows(IndexOutOfBoundsException.class, () -> codec.encode(ok, ok, new byte[10], 5, 6));
        assertThrows(IndexOutOfBoundsException.class, () -> codec.validate(ByteBuffer.wrap(DOC_DELTA), 1, 24));
    }

    // ---- helpers

    private static final java.util.List<Function<byte[], ByteBuffer>> BUFFER_KINDS = java.util.List.of(
            ByteBuffer::wrap,
            XbzrleCodecTest::direct,
            b -> ByteBuffer.wrap(b).asReadOnlyBuffer(),
            b -> { // at an offset inside a larger array, via slice so arrayOffset() != 0
                byte[] padded = new byte[b.length + 16];
                System.arraycopy(b, 0, padded, 13, b.length);
                return ByteBuffer.wrap(padded, 13, b.length).slice();
            });

    private static void expectMalformed(XbzrleCodec c, String deltaHex, String message, int payloadOffset) {
        byte[] delta = hex(deltaHex);
        // placed at offset 4 of a larger buffer: offsets in messages count from the delta's start
        ByteBuffer buffer = ByteBuffer.allocate(delta.length + 8);
        buffer.put(4, delta);
        var v = assertThrows(XbzrleFormatException.class, () -> c.validate(buffer, 4, delta.length));
        assertEquals(message, v.getMessage());
        assertEquals(payloadOffset, v.payloadOffset());
        var d = assertThrows(XbzrleFormatException.class,
                () -> c.decode(buffer, 4, delta.length, ByteBuffer.allocate(c.pageSize())));
        assertEquals(message, d.getMessage());
    }

    private interface Check {
        void run() throws XbzrleFormatException;
    }

    private static String message(Check check) {
        try {
            check.run();
            return null;
        } catch (XbzrleFormatException e) {
            return e.getMessage();
        }
    }

    private String encodeHex(byte[] old, byte[] neu) {
        byte[] out = new byte[PAGE];
        int n = codec.encode(ByteBuffer.wrap(old), ByteBuffer.wrap(neu), out, 0, PAGE);
        return HexFormat.of().formatHex(out, 0, n);
    }

    /** The format written the plainest way: alternate maximal runs, byte by byte. */
    static byte[] reference(byte[] old, byte[] neu) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int i = 0;
        while (true) {
            int start = i;
            while (i < old.length && old[i] == neu[i]) {
                i++;
            }
            if (i == old.length) {
                return out.toByteArray();
            }
            uleb(out, i - start);
            start = i;
            while (i < old.length && old[i] != neu[i]) {
                i++;
            }
            uleb(out, i - start);
            out.write(neu, start, i - start);
        }
    }

    private static void uleb(ByteArrayOutputStream out, int v) {
        do {
            int b = v & 0x7f;
            v >>>= 7;
            out.write(v != 0 ? b | 0x80 : b);
        } while (v != 0);
    }

    /** A new page from {@code old}: identical, 1/10/50/100 % changed, runs at the edges, or long runs. */
    private static byte[] mutate(Random r, byte[] old, int trial) {
        byte[] neu = old.clone();
        int n = old.length;
        switch (trial % 9) {
            case 0 -> { }
            case 1, 2, 3, 4 -> {
                double share = new double[] {0.01, 0.10, 0.50, 1.0}[trial % 9 - 1];
                for (int i = 0; i < n; i++) {
                    if (share == 1.0 || r.nextDouble() < share) {
                        neu[i] = (byte) (old[i] + 1 + r.nextInt(255));
                    }
                }
            }
            case 5 -> { // at both ends
                for (int i = 0; i < 1 + r.nextInt(20); i++) {
                    neu[i] ^= 0x7f;
                    neu[n - 1 - i] ^= 0x01;
                }
            }
            case 6 -> { // one long changed run (past 127 and sometimes past 16383 on large pages)
                int len = 128 + r.nextInt(n / 2);
                int at = r.nextInt(n - len);
                for (int i = at; i < at + len; i++) {
                    neu[i] = (byte) ~old[i];
                }
            }
            case 7 -> { // changed bytes spaced so that words hold a mix of changed and unchanged
                int step = 1 + r.nextInt(9);
                for (int i = r.nextInt(step); i < n; i += step) {
                    neu[i] ^= (byte) (1 << r.nextInt(8));
                }
            }
            default -> { // a few scattered words
                for (int k = 0; k < 1 + r.nextInt(30); k++) {
                    int at = r.nextInt(n - 8);
                    for (int i = at; i < at + 1 + r.nextInt(8); i++) {
                        neu[i] ^= (byte) 0x80;
                    }
                }
            }
        }
        return neu;
    }

    private static ByteBuffer direct(byte[] b) {
        ByteBuffer d = ByteBuffer.allocateDirect(b.length + 7).position(7);
        d.put(b).position(7);
        return d;
    }

    private static byte[] random(long seed, int n) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static byte[] page(int at, String hex) {
        byte[] p = new byte[PAGE];
        byte[] h = hex(hex);
        System.arraycopy(h, 0, p, at, h.length);
        return p;
    }

    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }
}
