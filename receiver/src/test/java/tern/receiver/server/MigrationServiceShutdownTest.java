package tern.receiver.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tern.common.wire.WireMessage;
import tern.proto.DigestAlgorithm;
import tern.proto.Hello;
import tern.proto.PageEncoding;
import tern.proto.SenderMessage;
import tern.receiver.session.MigrationSession;
import tern.receiver.session.ReceiverConfig;
import tern.receiver.session.SessionListener;

/**
 * The service shut down (the receiver closing) while a stream feeds its migration, and then the
 * stream lost, as gRPC's shutdownNow cancels it afterwards: the migration is sealed for a
 * restarted receiver and no expiry is scheduled on the stopped timer. Scheduling one threw
 * RejectedExecutionException out of the cancel handler (gRPC logged it SEVERE). The stream is
 * driven here by hand, through gRPC's own observer type, so the order is exactly that one.
 */
class MigrationServiceShutdownTest {
    @TempDir
    Path dir;

    /** A server-side response stream: what gRPC hands the service, recording what the service does with it. */
    static final class Responses extends ServerCallStreamObserver<WireMessage> {
        Runnable onCancel;
        final List<Object> sent = new ArrayList<>();
        Throwable error;

        @Override
        public boolean isCancelled() {
            return false;
        }

        @Override
        public void setOnCancelHandler(Runnable r) {
            onCancel = r;
        }

        @Override
        public void setCompression(String c) {
        }

        @Override
        public boolean isReady() {
            return true;
        }

        @Override
        public void setOnReadyHandler(Runnable r) {
        }

        @Override
        public void disableAutoInboundFlowControl() {
        }

        @Override
        public void disableAutoRequest() {
        }

        @Override
        public void request(int n) {
        }

        @Override
        public void setMessageCompression(boolean enable) {
        }

        @Override
        public void onNext(WireMessage m) {
            sent.add(m);
        }

        @Override
        public void onError(Throwable t) {
            error = t;
        }

        @Override
        public void onCompleted() {
        }
    }

    @Test
    void aStreamLostAfterTheShutdownSealsItsMigrationAndSchedulesNothing() throws Exception {
        Path image = dir.resolve("image.bin");
        List<String> suspended = new ArrayList<>();
        SessionListener events = new SessionListener() {
            @Override
            public void suspended(String migrationId, String why, Duration timeout) {
                suspended.add(migrationId);
            }
        };
        List<MigrationOutcome> outcomes = new ArrayList<>();
        MigrationService service = new MigrationService(image, ReceiverConfig.defaults(), events, outcomes::add, null);
        Responses out = new Responses();
        StreamObserver<SenderMessage> in = service.migrate(out);
        in.onNext(SenderMessage.newBuilder().setHello(Hello.newBuilder().setProtocolVersion(1).setMigrationId("closing")
                .setPageSize(4096).setPageCount(16).setDigest(DigestAlgorithm.SHA256).addEncodings(PageEncoding.RAW)
                .setMaxBatchPages(64).setStreamIndex(0).setStreamCount(1)).build());
        assertEquals(1, out.sent.size(), "accepted");

        service.shutdown();
        assertNotNull(out.onCancel, "the service watches for the stream's cancellation");
        out.onCancel.run(); // threw RejectedExecutionException when an expiry was scheduled on the stopped timer

        assertEquals(List.of("closing"), suspended, "held for a resume, sealed");
        assertTrue(outcomes.isEmpty(), "not ended: a restarted receiver resumes it " + outcomes);
        MigrationSession restored = MigrationSession.restore(image, ReceiverConfig.defaults(), SessionListener.NONE);
        assertNotNull(restored, "the resume file is there");
        assertEquals(null, restored.restoredDistrust(), "sealed, so trusted");
        restored.close();
    }
}
