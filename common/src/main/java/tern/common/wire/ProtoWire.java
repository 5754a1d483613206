package tern.common.wire;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.MessageLite;
import java.io.IOException;
import java.io.OutputStream;

/** A generated protobuf message as a {@link WireMessage}: for the messages that are not per batch. */
public record ProtoWire(MessageLite message) implements WireMessage {
    @Override
    public int serializedSize() {
        return message.getSerializedSize();
    }

    @Override
    public void writeTo(OutputStream out) throws IOException {
        CodedOutputStream cos = CodedOutputStream.newInstance(out, Math.max(1, Math.min(4096, serializedSize())));
        message.writeTo(cos);
        cos.flush();
    }
}
