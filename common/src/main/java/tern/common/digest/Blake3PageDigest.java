package tern.common.digest;

/** BLAKE3-256 (the JDK has none; see {@link Blake3} for why not BouncyCastle's). */
final class Blake3PageDigest extends AbstractPageDigest {
    private final Blake3 blake = new Blake3();

    Blake3PageDigest() {
        super(DigestKind.BLAKE3);
    }

    @Override
    void digest(byte[] in, int off, int len, byte[] out, int outOffset) {
        blake.hash(in, off, len, out, outOffset);
    }
}
