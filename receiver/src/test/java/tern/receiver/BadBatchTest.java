package tern.receiver;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tern.common.xbzrle.XbzrleCodec;
import tern.proto.PageEncoding;
import tern.proto.Phase;

/**
 * Page batches the receiver refuses, each naming the field, with the image left as the
 * acknowledged pages made it; and the batches it must store, as positive controls.
 */
class BadBatchTest extends ReceiverFixture {
    /** Each case appends to batch 2, after a valid RAW page 10; the receiver must store neither. */
    static Stream<Arguments> badPagesAfterAValidOne() {
        byte[] page = pattern(7);
        return Stream.of(
                badPage("page index == page_count", b -> b.raw(PAGES, page), "page_indexes[1]"),
                badPage("page index 2^40", b -> b.raw(1L << 40, page), "page_indexes[1]"),
                badPage("page index 2^64-1", b -> b.raw(-1L, page), "page_indexes[1]"),
                badPage("encoding byte 9 (unknown)", b -> b.page(7, 9, page, PAGE), "encodings[1]"),
                badPage("encoding byte 0 (UNSPECIFIED)", b -> b.page(7, 0, page, PAGE), "encodings[1]"),
                badPage("RAW payload length 4095", b -> b.page(7, RAW, Arrays.copyOf(page, 4095), 4095),
                        "payload_lengths[1]"),
                badPage("RAW payload length 4097", b -> b.page(7, RAW, Arrays.copyOf(page, 4097), 4097),
                        "payload_lengths[1]"),
                badPage("ZERO with length 5", b -> b.page(7, ZERO, new byte[5], 5), "payload_lengths[1]"),
                badPage("XBZRLE longer than a page", b -> b.page(7, XBZRLE, new byte[4097], 4097),
                        "payload_lengths[1]"),
                badPage("XBZRLE truncated ULEB128 (80)", b -> b.xbzrle(7, 0x80), "payload"),
                badPage("XBZRLE zero-length literal run (00 00)", b -> b.xbzrle(7, 0x00, 0x00), "payload"),
                badPage("XBZRLE zero run of 4097 passing the page end (81 20 01 ff)",
                        b -> b.xbzrle(7, 0x81, 0x20, 0x01, 0xff), "payload"),
                badPage("XBZRLE literal run passing the page end (ff 1f 02 aa bb)",
                        b -> b.xbzrle(7, 0xff, 0x1f, 0x02, 0xaa, 0xbb), "payload"),
                badPage("XBZRLE ends after a zero run (05)", b -> b.xbzrle(7, 0x05), "payload"),
                badPage("XBZRLE literal run truncated (00 05 01 02)", b -> b.xbzrle(7, 0x00, 0x05, 0x01, 0x02), "payload"),
                badPage("XBZRLE empty later zero run (00 01 aa 00 01 bb)",
                        b -> b.xbzrle(7, 0x00, 0x01, 0xaa, 0x00, 0x01, 0xbb), "payload"),
                badPage("XBZRLE 3-byte ULEB128 (80 80 01 01 ff)", b -> b.xbzrle(7, 0x80, 0x80, 0x01, 0x01, 0xff),
                        "payload"),
                badPage("payload one byte short of the lengths", b -> b.raw(7, page).trimPayload(1), "payload: "),
                badPage("payload one page short of the lengths", b -> b.raw(7, page).trimPayload(PAGE), "payload: "),
                badPage("payload one byte longer than the lengths", b -> b.raw(7, page).extraPayload(1), "payload: "),
                badPage("encodings count != pages", b -> b.raw(7, page).overrideEncodings(new byte[] {(byte) RAW}),
                        "encodings"),
                badPage("payload_lengths count != pages", b -> b.raw(7, page).dropLastLength(), "payload_lengths"));
    }

    static Arguments badPage(String name, Consumer<Batch> bad, String field) {
        return Arguments.of(name, bad, field);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badPagesAfterAValidOne")
    void badPageAfterAValidOneStoresNothing(String name, Consumer<Batch> bad, String field) throws Exception {
        RawPeer p = accepted(hello());
        storeFirst(p);
        Batch b = new Batch(2).raw(10, pattern(10));
        bad.accept(b);
        p.send(b.build());
        assertRefusedHarmlessly(p, field);
    }

    @Test
    void xbzrleNotOfferedInHello() throws Exception {
        RawPeer p = accepted(hello().clearEncodings().addEncodings(PageEncoding.RAW).addEncodings(PageEncoding.ZERO));
        byte[] delta = {0x00, 0x01, 0x2a}; // a valid delta: byte 0 becomes 0x2a
        p.send(new Batch(1).raw(2, pattern(1)).xbzrle(7, delta).build());
        assertRefusedHarmlessly(p, "encodings[1]", "XBZRLE");
    }

    @Test
    void zeroNotOfferedInHello() throws Exception {
        RawPeer p = accepted(hello().clearEncodings().addEncodings(PageEncoding.RAW));
        p.send(new Batch(1).raw(2, pattern(1)).zero(7).build());
        assertRefusedHarmlessly(p, "encodings[1]", "ZERO");
    }

    @Test
    void emptyBatch() throws Exception {
        RawPeer p = accepted(hello());
        storeFirst(p);
        p.send(new Batch(2).build());
        assertRefusedHarmlessly(p, "page_indexes");
    }

    @Test
    void morePagesThanMaxBatchPages() throws Exception {
        RawPeer p = accepted(hello().setMaxBatchPages(8));
        storeFirst(p);
        Batch b = new Batch(2);
        for (int i = 0; i < 9; i++) {
            b.raw(10 + i, pattern(100 + i));
        }
        p.send(b.build());
        p.expectError(Status.Code.INVALID_ARGUMENT, "page_indexes", "max_batch_pages");
        assertRefused("max_batch_pages");
        assertImageIsModel();
        assertServerStillWorks();
    }

    @Test
    void exactlyMaxBatchPagesIsAccepted() throws Exception {
        RawPeer p = accepted(hello().setMaxBatchPages(8));
        Batch b = new Batch(1);
        byte[][] pages = new byte[8][];
        for (int i = 0; i < 8; i++) {
            pages[i] = pattern(100 + i);
            b.raw(10 + i, pages[i]);
            putModel(10 + i, pages[i]);
        }
        p.send(b.build());
        expectAck(p, 1, pages);
        finishVerified(p, 1, 8);
        assertServerStillWorks();
    }

    static Stream<Arguments> badSequences() {
        return Stream.of(
                Arguments.of("first batch has sequence 2", false, 2L),
                Arguments.of("first batch has sequence 0", false, 0L),
                Arguments.of("gap: 1 then 3", true, 3L),
                Arguments.of("repeat: 1 then 1", true, 1L),
                Arguments.of("1 then 2^64-1", true, -1L));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badSequences")
    void badSequence(String name, boolean sendFirst, long sequence) throws Exception {
        RawPeer p = accepted(hello());
        if (sendFirst) {
            storeFirst(p);
        }
        p.send(new Batch(sequence).raw(10, pattern(10)).build());
        assertRefusedHarmlessly(p, "sequence");
    }

    @Test
    void batchIterationNotMatchingTheMark() throws Exception {
        RawPeer p = accepted(hello());
        storeFirst(p);
        p.send(mark(2, Phase.ITERATIVE));
        p.send(new Batch(2).iteration(1).raw(10, pattern(10)).build());
        assertRefusedHarmlessly(p, "iteration");
    }

    @Test
    void batchIterationAheadOfAnyMark() throws Exception {
        RawPeer p = accepted(hello());
        p.send(new Batch(1).iteration(2).raw(10, pattern(10)).build());
        assertRefusedHarmlessly(p, "iteration");
    }

    // ---------------------------------------------------------------- positive controls

    @Test
    void xbzrlePageAgainstTheZeroPageIsStoredAndDigestedAsStored() throws Exception {
        RawPeer p = accepted(hello());
        byte[] page = new byte[PAGE];
        byte[] noise = pattern(40);
        System.arraycopy(noise, 0, page, 100, 200);
        System.arraycopy(noise, 1000, page, 3000, 11);
        page[PAGE - 1] = 7;
        byte[] delta = new byte[PAGE];
        int n = new XbzrleCodec(PAGE).encode(ByteBuffer.allocate(PAGE), ByteBuffer.wrap(page), delta, 0, PAGE);
        assertTrue(n > 0 && n < PAGE, "encoder gave " + n);
        p.send(new Batch(1).xbzrle(5, Arrays.copyOf(delta, n)).build());
        putModel(5, page);
        expectAck(p, 1, page);
        finishVerified(p, 1, 1);
        assertServerStillWorks();
    }

    /** docs/design.md's XBZRLE vector, hand-written here, so this does not depend on the encoder. */
    @Test
    void designDocXbzrleVectorDecodesOnTheReceiver() throws Exception {
        RawPeer p = accepted(hello());
        p.send(new Batch(1).raw(3, vectorOld()).build());
        putModel(3, vectorOld());
        expectAck(p, 1, vectorOld());
        p.send(new Batch(2).xbzrle(3, vectorDelta()).build());
        putModel(3, vectorNew());
        expectAck(p, 2, vectorNew());
        finishVerified(p, 2, 2);
        assertServerStillWorks();
    }

    /** A RAW page and then an XBZRLE page in one batch, as the sender builds them. */
    @Test
    void rawThenXbzrleInOneBatchIsStored() throws Exception {
        RawPeer p = accepted(hello());
        p.send(new Batch(1).raw(3, vectorOld()).build());
        putModel(3, vectorOld());
        expectAck(p, 1, vectorOld());
        byte[] a = pattern(50);
        p.send(new Batch(2).raw(1, a).xbzrle(3, vectorDelta()).zero(4).build());
        putModel(1, a);
        putModel(3, vectorNew());
        expectAck(p, 2, a, vectorNew(), new byte[PAGE]);
        finishVerified(p, 2, 4);
        assertServerStillWorks();
    }
}
