package tern.receiver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tern.proto.ReceiverMessage;
import tern.proto.Verdict;
import tern.receiver.server.MigrationOutcome;

/**
 * Completions the receiver refuses (naming the field) or answers with a refusing verdict, and
 * messages after the verdict.
 */
class BadCompleteTest extends ReceiverFixture {
    @Test
    void completeWithWrongLastSequence() throws Exception {
        RawPeer p = accepted(hello());
        storeFirst(p);
        p.send(complete(rootOf(model), 2));
        assertRefusedHarmlessly(p, "complete.last_sequence");
    }

    static Stream<Arguments> badRootLengths() {
        return Stream.of(Arguments.of(31), Arguments.of(33), Arguments.of(0));
    }

    @ParameterizedTest(name = "root of {0} bytes")
    @MethodSource("badRootLengths")
    void completeWithARootOfTheWrongLength(int length) throws Exception {
        RawPeer p = accepted(hello());
        storeFirst(p);
        p.send(complete(Arrays.copyOf(rootOf(model), length), 1));
        assertRefusedHarmlessly(p, "complete.root_digest");
    }

    @Test
    void completeWithAWrongRootGetsARefusingVerdict() throws Exception {
        RawPeer p = accepted(hello());
        storeFirst(p);
        byte[] right = rootOf(model);
        byte[] wrong = right.clone();
        wrong[31] ^= 1;
        p.send(complete(wrong, 1));
        ReceiverMessage r = p.next();
        assertTrue(r.hasVerdict(), () -> "expected a verdict, got " + r);
        Verdict v = r.getVerdict();
        assertFalse(v.getOk());
        assertTrue(v.getReason().contains("root mismatch"), v::getReason);
        // the receiver reports its own root, recomputed from the image: the right one
        assertEquals(hex(right), hex(v.getRootDigest().toByteArray()));
        assertEquals(Status.Code.OK, p.awaitEnd().getCode());
        MigrationOutcome o = outcome();
        assertFalse(o.verified(), o::toString);
        assertTrue(o.reason() != null && o.reason().contains("root mismatch"), o::toString);
        assertImageIsModel();
        assertServerStillWorks();
    }

    @Test
    void messageAfterTheVerdictIsIgnoredOrRefused() throws Exception {
        RawPeer p = accepted(hello());
        storeFirst(p);
        p.send(complete(rootOf(model), 1));
        assertTrue(p.next().getVerdict().getOk());
        p.send(new Batch(2).raw(10, pattern(10)).build());
        Status end = p.awaitEnd();
        assertTrue(end.isOk() || end.getCode() == Status.Code.INVALID_ARGUMENT, end::toString);
        assertTrue(outcome().verified());
        assertImageIsModel();
        assertServerStillWorks();
    }
}
