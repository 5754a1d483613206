package tern.receiver;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tern.proto.IterationMark;
import tern.proto.Phase;
import tern.proto.SenderMessage;

/**
 * Iteration marks the receiver refuses, each naming the field; and marks followed by batches of
 * the marked iteration, which complete.
 */
class BadMarkTest extends ReceiverFixture {
    static Stream<Arguments> badMarks() {
        return Stream.of(
                Arguments.of("PHASE_UNSPECIFIED", List.of(mark(2, Phase.PHASE_UNSPECIFIED)), "mark.phase"),
                Arguments.of("unknown phase 99", List.of(SenderMessage.newBuilder()
                        .setMark(IterationMark.newBuilder().setIteration(2).setPhaseValue(99)).build()), "mark.phase"),
                Arguments.of("iteration going backwards (3 then 2)",
                        List.of(mark(3, Phase.ITERATIVE), mark(2, Phase.ITERATIVE)), "mark.iteration"),
                Arguments.of("iteration repeated (3 then 3)",
                        List.of(mark(3, Phase.ITERATIVE), mark(3, Phase.STOP_AND_COPY)), "mark.iteration"),
                Arguments.of("iteration 0", List.of(mark(0, Phase.BULK)), "mark.iteration"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badMarks")
    void badMark(String name, List<SenderMessage> marks, String field) throws Exception {
        RawPeer p = accepted(hello());
        storeFirst(p);
        for (SenderMessage m : marks) {
            p.send(m);
        }
        assertRefusedHarmlessly(p, field);
    }

    @Test
    void marksThenBatchesOfTheMarkedIterationComplete() throws Exception {
        RawPeer p = accepted(hello());
        storeFirst(p);
        p.send(mark(2, Phase.ITERATIVE));
        byte[] a = pattern(20);
        p.send(new Batch(2).iteration(2).raw(20, a).build());
        putModel(20, a);
        expectAck(p, 2, a);
        p.send(mark(3, Phase.STOP_AND_COPY));
        p.send(new Batch(3).iteration(3).zero(2).build());
        putModel(2, new byte[PAGE]);
        expectAck(p, 3, new byte[PAGE]);
        finishVerified(p, 3, 3);
        assertServerStillWorks();
    }
}
