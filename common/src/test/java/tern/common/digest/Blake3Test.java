package tern.common.digest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** BouncyCastle's BLAKE3, as Tern calls it, against the official test vectors. */
class Blake3Test {
    // The official test vectors' input (bytes i % 251); expected values from b3sum 1.2.0.
    @ParameterizedTest
    @CsvSource({
        "0, af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262",
        "1, 2d3adedff11b61f14c886e35afa036736dcd87a74d27b5c1510225d0f592e213",
        "1023, 10108970eeda3eb932baac1428c7a2163b0e924c9a9e25b35bba72b28f70bd11",
        "1024, 42214739f095a406f3fc83deb889744ac00df831c10daa55189b5d121c855af7",
        "1025, d00278ae47eb27b34faecf67b4fe263f82d5412916c1ffd97c8cb7fb814b8444",
        "2049, 5f4d72f40d7a5f82b15ca2b2e44b1de3c2ef86c426c95c1af0b6879522563030",
        "3073, 7124b49501012f81cc7f11ca069ec9226cecb8a2c850cfe644e327d22d3e1cd3",
        "4096, 015094013f57a5277b59d8475c0501042c0b642e531b0a1c8f58d2163229e969",
        "4097, 9b4052b38f1c5fc8b1f9ff7ac7b27cd242487b3d890d15c96a1c25b8aa0fb995",
        "8193, bab6c09cb8ce8cf459261398d2e7aef35700bf488116ceb94a36d0f5f1b7bc3b",
        "16384, f875d6646de28985646f34ee13be9a576fd515f76b5b0a26bb324735041ddde4",
        "31744, 62b6960e1a44bcc1eb1a611a8d6235b6b4b78f32e7abc4fb4c6cdcce94895c47",
        "102400, bc3e3d41a1146b069abffad3c0d44860cf664390afce4d9661f7902e7943e085",
    })
    void matchesB3sum(int length, String expected) {
        byte[] in = new byte[length + 3];
        for (int i = 0; i < length; i++) {
            in[i + 3] = (byte) (i % 251);
        }
        byte[] out = new byte[32];
        DigestKind.BLAKE3.newDigest().digest(java.nio.ByteBuffer.wrap(in, 3, length), out, 0);
        assertEquals(expected, RootDigest.hex(out));
    }
}
