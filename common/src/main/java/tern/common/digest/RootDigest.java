package tern.common.digest;

import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * The root: SHA-256 over the ordered page digests (the concatenation of every page's digest,
 * page 0 first). Both sides compute it, and the receiver refuses completion when they differ
 * (docs/design.md, invariant 1), so it is SHA-256 whatever the page digest is. Not thread-safe.
 */
public final class RootDigest {
    private final MessageDigest sha256 = JdkPageDigest.newMessageDigest("SHA-256");

    /** Feeds consecutive page digests; order matters, so feed page 0 first. */
    public void add(byte[] digests, int offset, int length) {
        sha256.update(digests, offset, length);
    }

    /** The 32-byte root; the instance starts over afterwards and can be reused. */
    public byte[] finish() {
        return sha256.digest();
    }

    /** The 32-byte digest into {@code out[offset..]}, allocating nothing; the instance starts over. */
    public void finishInto(byte[] out, int offset) {
        try {
            sha256.digest(out, offset, 32);
        } catch (java.security.DigestException e) {
            throw new IllegalArgumentException("no room for 32 bytes at " + offset + " of " + out.length, e);
        }
    }

    /** Lowercase hex, the one hex helper of the project. */
    public static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }
}
