package tern.receiver.server;

import io.grpc.Metadata;
import io.grpc.ServerStreamTracer;
import java.util.concurrent.atomic.AtomicLong;
import tern.common.wire.Protocol;

/**
 * Bytes the receiver's transport read, as gRPC counts them: each inbound message's wire size plus
 * its 5-byte frame header, on every stream (the sender's WireMeter counts the same bytes going
 * out). Called on the transport's threads.
 */
final class InboundMeter extends ServerStreamTracer.Factory {
    private final AtomicLong in = new AtomicLong();

    @Override
    public ServerStreamTracer newServerStreamTracer(String fullMethodName, Metadata headers) {
        return new ServerStreamTracer() {
            @Override
            public void inboundWireSize(long bytes) {
                in.addAndGet(bytes + Protocol.GRPC_FRAME_HEADER);
            }
        };
    }

    long inbound() {
        return in.get();
    }
}
