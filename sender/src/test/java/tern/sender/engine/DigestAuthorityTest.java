package tern.sender.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import tern.common.stats.MigrationSummary;
import tern.proto.Phase;
import tern.receiver.session.SessionListener;
import tern.sender.workload.SyntheticWorkload;
import tern.sender.workload.WorkloadPattern;

/**
 * Invariant 3: the receiver's digests describe what its image holds, and the sender believes them
 * over its own record. The image is changed behind the receiver's back between iterations; the
 * changed pages must be resent and the migration must still end byte-identical.
 */
class DigestAuthorityTest {
    @TempDir
    Path dir;

    /**
     * Tampers when the receiver takes the mark of {@code iteration}: stream order means every
     * batch of earlier iterations is stored by then and none of this one is.
     */
    static SessionListener tamperAt(int iteration, Path image, int from, int count, int stride) {
        return new SessionListener() {
            @Override
            public void iteration(int i, Phase phase) {
                if (i == iteration) {
                    tamper(image, from, count, stride);
                }
            }
        };
    }

    /** Flips one byte in each of {@code pages} of the image file, as a foreign writer would. */
    static void tamper(Path image, int from, int count, int stride) {
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer one = ByteBuffer.allocate(1);
            for (int i = 0; i < count; i++) {
                long at = (long) (from + i * stride) * 4096 + 100;
                one.clear();
                ch.read(one, at);
                one.flip();
                byte b = one.get(0);
                one.put(0, (byte) (b ^ 0x5a));
                ch.write(one, at);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * XBZRLE deltas decoded against tampered pages produce bytes other than what the sender sent:
     * their acknowledgements disagree, and the pages are sent again, whole.
     */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void acknowledgementThatDisagreesMarksThePageDirty(Mode mode) throws Exception {
        Path image = dir.resolve("image.img");
        try (Loopback rx = new Loopback(dir, tamperAt(3, image, 0, 1024, 1));
             SyntheticWorkload w = Configs.workload(WorkloadPattern.HOTSET, 1024, 2, 0, 3)) {
            Loopback.Run run = rx.migrate(w, Configs.fixed(mode, true, 4), EngineListener.NONE);
            assertNull(run.failure(), () -> run.failure().getMessage());
            MigrationSummary s = run.result().summary();
            assertTrue(s.ackMismatches() > 0, "deltas against tampered pages were caught by their acknowledgements");
            assertTrue(s.resyncPages() > 0, "tampered pages the sender did not touch were found at completion");
            assertTrue(run.outcome().verified(), run.outcome().reason());
            assertArrayEquals(w.snapshot(), rx.imageBytes());
        }
    }

    /** A page the source never writes again, changed in the image between iterations, is resent. */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void pageChangedBehindTheReceiverIsResent(Mode mode) throws Exception {
        Path image = dir.resolve("image.img");
        try (Loopback rx = new Loopback(dir, tamperAt(2, image, 5, 3, 40));
             SyntheticWorkload w = Configs.workload(WorkloadPattern.IDLE, 128, 0, 0, 4)) {
            Loopback.Run run = rx.migrate(w, Configs.fixed(mode, false, 3), EngineListener.NONE);
            assertNull(run.failure(), () -> run.failure().getMessage());
            MigrationSummary s = run.result().summary();
            assertEquals(3, s.resyncPages(), "exactly the three changed pages were reported and resent");
            assertTrue(run.outcome().verified(), run.outcome().reason());
            assertArrayEquals(w.snapshot(), rx.imageBytes());
        }
    }
}
