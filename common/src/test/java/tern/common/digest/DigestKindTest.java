package tern.common.digest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import tern.proto.DigestAlgorithm;

class DigestKindTest {
    @ParameterizedTest
    @EnumSource(DigestKind.class)
    void protoAndCliNamesRoundTrip(DigestKind kind) {
        assertSame(kind, DigestKind.fromProto(kind.toProto()));
        assertEquals(kind.name(), kind.toProto().name());
        assertSame(kind, DigestKind.fromCliName(kind.cliName()));
        assertSame(kind, DigestKind.fromCliName(kind.cliName().toUpperCase(java.util.Locale.ROOT)));
        assertEquals(kind.length(), kind.newDigest().length());
    }

    @Test
    void namesLengthsAndStrength() {
        assertEquals("sha1, sha256, blake3, xxh3-128", DigestKind.cliNames());
        assertEquals(20, DigestKind.SHA1.length());
        assertEquals(32, DigestKind.SHA256.length());
        assertEquals(32, DigestKind.BLAKE3.length());
        assertEquals(16, DigestKind.XXH3_128.length());
        assertTrue(DigestKind.SHA256.cryptographic());
        assertTrue(DigestKind.BLAKE3.cryptographic());
        assertFalse(DigestKind.XXH3_128.cryptographic());
        assertSame(DigestKind.XXH3_128, DigestKind.fromCliName("XXH3-128"));
    }

    @Test
    void protoValuesWithoutAnAlgorithmAreRejectedByName() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> DigestKind.fromProto(DigestAlgorithm.DIGEST_ALGORITHM_UNSPECIFIED));
        assertEquals("unsupported digest algorithm: DIGEST_ALGORITHM_UNSPECIFIED", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> DigestKind.fromProto(DigestAlgorithm.UNRECOGNIZED));
        assertEquals("unsupported digest algorithm: UNRECOGNIZED", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DigestKind.fromProto(null));
    }

    @Test
    void unknownCliNameListsTheValidOnes() {
        var e = assertThrows(IllegalArgumentException.class, () -> DigestKind.fromCliName("md5"));
        assertEquals("unknown digest algorithm 'md5': expected one of sha1, sha256, blake3, xxh3-128", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DigestKind.fromCliName("xxh3_128"));
        assertThrows(IllegalArgumentException.class, () -> DigestKind.fromCliName(null));
    }
}
