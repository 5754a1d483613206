package tern.common.digest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import tern.common.testing.Allocations;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class PageDigestTest {
    private static final byte[] ABC = "abc".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ZERO_PAGE = new byte[4096];

    // Expected values from sha1sum, sha256sum, b3sum 1.2.0 and xxhsum 0.8.1 -H2 (Debian bookworm).
    static Stream<Arguments> knownAnswers() {
        return Stream.of(
                Arguments.of(DigestKind.SHA1, ABC, "a9993e364706816aba3e25717850c26c9cd0d89d"),
                Arguments.of(DigestKind.SHA1, ZERO_PAGE, "1ceaf73df40e531df3bfb26b4fb7cd95fb7bff1d"),
                Arguments.of(DigestKind.SHA256, ABC, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
                Arguments.of(DigestKind.SHA256, ZERO_PAGE, "ad7facb2586fc6e966c004d7d1d16b024f5805ff7cb47c7a85dabd8b48892ca7"),
                Arguments.of(DigestKind.BLAKE3, new byte[0], "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"),
                Arguments.of(DigestKind.BLAKE3, ABC, "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85"),
                Arguments.of(DigestKind.BLAKE3, ZERO_PAGE, "b6fb73fc46938c981e2b0b4b1ef282adcfc89854d01bfe3972fdc4785b41b2c7"),
                // xxhsum prints high64 then low64 big-endian; Tern writes low64 then high64 little-endian
                Arguments.of(DigestKind.XXH3_128, new byte[0], reversedHex("99aa06d3014798d86001c324468d497f")),
                Arguments.of(DigestKind.XXH3_128, ABC, reversedHex("06b05ab6733a618578af5f94892f3950")),
                Arguments.of(DigestKind.XXH3_128, ZERO_PAGE, reversedHex("3ee8dc4f9e7ee49593d76fe148c689ba")));
    }

    @ParameterizedTest
    @MethodSource("knownAnswers")
    void knownAnswer(DigestKind kind, byte[] input, String expected) {
        assertEquals(expected, hexOf(kind, ByteBuffer.wrap(input)));
        ByteBuffer direct = ByteBuffer.allocateDirect(input.length);
        direct.put(input).flip();
        assertEquals(expected, hexOf(kind, direct));
    }

    @Test
    void sha1AndSha256MatchTheJdkOnARandomPage() throws Exception {
        byte[] page = randomPage(7, 4096);
        for (var pair : new Object[][] {{DigestKind.SHA1, "SHA-1"}, {DigestKind.SHA256, "SHA-256"}}) {
            byte[] expected = java.security.MessageDigest.getInstance((String) pair[1]).digest(page);
            assertEquals(RootDigest.hex(expected), hexOf((DigestKind) pair[0], ByteBuffer.wrap(page)));
        }
    }

    @ParameterizedTest
    @EnumSource(DigestKind.class)
    void everyKindOfBufferGivesTheSameDigestAndKeepsItsPosition(DigestKind kind) {
        byte[] page = randomPage(kind.ordinal(), 4096);
        String expected = hexOf(kind, ByteBuffer.wrap(page));

        byte[] padded = new byte[4096 + 200];
        System.arraycopy(page, 0, padded, 100, 4096);
        ByteBuffer atOffset = ByteBuffer.wrap(padded).position(100).limit(4196);
        ByteBuffer sliced = ByteBuffer.wrap(padded, 100, 4096).slice(); // arrayOffset() != 0
        ByteBuffer direct = ByteBuffer.allocateDirect(4096 + 200).position(37);
        direct.put(page).position(37).limit(37 + 4096);
        ByteBuffer directLe = direct.duplicate().order(ByteOrder.LITTLE_ENDIAN).position(37).limit(37 + 4096);
        ByteBuffer readOnlyHeap = ByteBuffer.wrap(padded).position(100).limit(4196).asReadOnlyBuffer();
        ByteBuffer readOnlyDirect = direct.asReadOnlyBuffer();

        PageDigest d = kind.newDigest(); // one instance throughout: its scratch must not leak between calls
        for (ByteBuffer b : new ByteBuffer[] {atOffset, sliced, direct, directLe, readOnlyHeap, readOnlyDirect}) {
            int position = b.position();
            int limit = b.limit();
            byte[] out = new byte[kind.length()];
            d.digest(b, out, 0);
            assertEquals(expected, RootDigest.hex(out), b.toString());
            assertEquals(position, b.position(), "position moved");
            assertEquals(limit, b.limit(), "limit moved");
        }
    }

    @ParameterizedTest
    @EnumSource(DigestKind.class)
    void oneInstanceDigestsPageAfterPageAsIfFresh(DigestKind kind) {
        PageDigest reused = kind.newDigest();
        for (int seed = 0; seed < 5; seed++) {
            ByteBuffer page = ByteBuffer.wrap(randomPage(seed, 4096));
            byte[] a = new byte[kind.length()];
            byte[] b = new byte[kind.length()];
            reused.digest(page, a, 0);
            kind.newDigest().digest(page, b, 0);
            assertArrayEquals(b, a);
        }
    }

    @ParameterizedTest
    @EnumSource(DigestKind.class)
    void pagesThatDifferByOneBitGetDifferentDigests(DigestKind kind) {
        byte[] page = new byte[4096];
        String zero = hexOf(kind, ByteBuffer.wrap(page));
        for (int at : new int[] {0, 1, 2047, 4095}) {
            page[at] ^= 1;
            assertFalse(zero.equals(hexOf(kind, ByteBuffer.wrap(page))), "bit at " + at);
            page[at] ^= 1;
        }
        assertEquals(zero, hexOf(kind, ByteBuffer.wrap(page)));
    }

    @ParameterizedTest
    @EnumSource(DigestKind.class)
    void writesExactlyItsLengthAtTheOffset(DigestKind kind) {
        PageDigest d = kind.newDigest();
        assertEquals(kind, d.kind());
        assertEquals(kind.length(), d.length());
        byte[] out = new byte[kind.length() + 10];
        Arrays.fill(out, (byte) 0x5a);
        d.digest(ByteBuffer.wrap(ABC), out, 5);
        assertEquals(hexOf(kind, ByteBuffer.wrap(ABC)), RootDigest.hex(Arrays.copyOfRange(out, 5, 5 + kind.length())));
        for (int i : new int[] {0, 1, 2, 3, 4, out.length - 5, out.length - 1}) {
            assertEquals((byte) 0x5a, out[i], "byte " + i + " outside the digest was written");
        }
        assertThrows(IndexOutOfBoundsException.class, () -> d.digest(ByteBuffer.wrap(ABC), new byte[kind.length()], 1));
        assertThrows(IndexOutOfBoundsException.class, () -> d.digest(ByteBuffer.wrap(ABC), out, -1));
    }

    @ParameterizedTest
    @EnumSource(DigestKind.class)
    void digestingAPageAllocatesNothing(DigestKind kind) {
        PageDigest d = kind.newDigest();
        byte[] out = new byte[kind.length()];
        ByteBuffer heap = ByteBuffer.wrap(randomPage(1, 4096));
        ByteBuffer direct = ByteBuffer.allocateDirect(4096).put(heap.duplicate()).flip();
        ByteBuffer readOnly = heap.asReadOnlyBuffer();
        double perCall = Allocations.perCall(20_000, () -> {
            d.digest(heap, out, 0);
            d.digest(direct, out, 0);
            d.digest(readOnly, out, 0);
        });
        // BouncyCastle's BLAKE3 allocates in doFinal (the one known exception, stated in docs/digests.md);
        // hold it to what was measured so a regression still shows.
        double bound = kind == DigestKind.BLAKE3 ? 3 * 200 : 1;
        assertTrue(perCall < bound, kind + " allocated " + perCall + " bytes per call of three pages");
    }

    static String hexOf(DigestKind kind, ByteBuffer page) {
        byte[] out = new byte[kind.length()];
        kind.newDigest().digest(page, out, 0);
        return RootDigest.hex(out);
    }

    static byte[] randomPage(long seed, int size) {
        byte[] page = new byte[size];
        new Random(seed).nextBytes(page);
        return page;
    }

    private static String reversedHex(String hex) {
        byte[] b = HexFormat.of().parseHex(hex);
        for (int i = 0, j = b.length - 1; i < j; i++, j--) {
            byte t = b[i];
            b[i] = b[j];
            b[j] = t;
        }
        return HexFormat.of().formatHex(b);
    }
}
