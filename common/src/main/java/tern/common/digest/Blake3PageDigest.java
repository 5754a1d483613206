package tern.common.digest;

import org.bouncycastle.crypto.digests.Blake3Digest;

/**
 * BLAKE3-256 by BouncyCastle (the JDK has none). BC's digest allocates about 144 bytes per call
 * in doFinal; it is the only page digest that does, and BLAKE3 is never the default.
 */
final class Blake3PageDigest extends AbstractPageDigest {
    private final Blake3Digest blake = new Blake3Digest(256);

    Blake3PageDigest() {
        super(DigestKind.BLAKE3);
    }

    @Override
    void digest(byte[] in, int off, int len, byte[] out, int outOffset) {
        blake.update(in, off, len);
        blake.doFinal(out, outOffset);
    }
}
