package tern.common.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.Descriptors;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** The guard on hand-written protobuf encoders: a field migration.proto adds must be written by them too. */
public final class ProtoSchema {
    private ProtoSchema() {
    }

    /**
     * Fails unless {@code written} (the field numbers an encoder declares it writes) are exactly
     * the fields of {@code message} in the generated descriptor, naming the ones that differ.
     */
    public static void assertWritesEveryField(Descriptors.Descriptor message, String encoder, int... written) {
        Map<Integer, String> inProto = new TreeMap<>();
        message.getFields().forEach(f -> inProto.put(f.getNumber(), f.getName()));
        Map<Integer, String> declared = new TreeMap<>();
        Arrays.stream(written).forEach(n -> declared.put(n, inProto.getOrDefault(n, "(no such field)")));
        assertEquals(inProto, declared, () -> message.getFullName() + " has fields " + names(inProto) + ", " + encoder
                + " writes " + names(declared) + ": a field added to migration.proto must be written by the"
                + " hand-written encoder too (and checked in its equality test), or it is silently dropped");
    }

    private static String names(Map<Integer, String> fields) {
        return fields.entrySet().stream().map(e -> e.getValue() + " = " + e.getKey()).collect(Collectors.joining(", ", "[", "]"));
    }
}
