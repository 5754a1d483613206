package tern.sender.transport;

import io.grpc.ClientStreamTracer;
import io.grpc.Metadata;
import java.util.concurrent.atomic.AtomicLong;
import tern.common.wire.Protocol;

/**
 * Counts bytes as gRPC puts them on the transport (docs/design.md, "Bytes on the wire"): each message's
 * outbound wire size plus its 5-byte gRPC frame header; acknowledgement bytes apart.
 */
public final class WireMeter extends ClientStreamTracer.Factory {
    private final AtomicLong out = new AtomicLong();
    private final AtomicLong in = new AtomicLong();

    @Override
    public ClientStreamTracer newClientStreamTracer(ClientStreamTracer.StreamInfo info, Metadata headers) {
        return new ClientStreamTracer() {
            @Override
            public void outboundWireSize(long bytes) {
                out.addAndGet(bytes + Protocol.GRPC_FRAME_HEADER);
            }

            @Override
            public void inboundWireSize(long bytes) {
                in.addAndGet(bytes + Protocol.GRPC_FRAME_HEADER);
            }
        };
    }

    /** Sender to receiver bytes so far. */
    public long outbound() {
        return out.get();
    }

    /** Receiver to sender bytes so far (acceptance, acknowledgements, verdict). */
    public long inbound() {
        return in.get();
    }
}
