package tern.common.wire;

import java.io.IOException;
import java.io.OutputStream;

/**
 * A message that writes its own protobuf encoding into the transport's buffers. Page batches and
 * acknowledgements implement it over arrays their owners reuse, so sending one builds no protobuf
 * objects and copies each payload byte once; rarer messages go through {@link ProtoWire}.
 *
 * <p>gRPC serialises a message inside {@code onNext}, before it returns, and Tern's channels
 * have retries off, so the owner may reuse its arrays as soon as the send returns.
 */
public interface WireMessage {
    /** The exact number of bytes {@link #writeTo} writes. */
    int serializedSize();

    void writeTo(OutputStream out) throws IOException;
}
