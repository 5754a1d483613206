package tern.common.digest;

import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** SHA-1 and SHA-256 through the JDK, whose providers use the CPU's SHA instructions (several times BouncyCastle's speed). */
final class JdkPageDigest extends AbstractPageDigest {
    private final MessageDigest md;

    JdkPageDigest(DigestKind kind, String jdkName) {
        super(kind);
        this.md = newMessageDigest(jdkName);
    }

    static MessageDigest newMessageDigest(String jdkName) {
        try {
            return MessageDigest.getInstance(jdkName);
        } catch (NoSuchAlgorithmException e) {
            // every Java SE runtime must provide SHA-1 and SHA-256
            throw new IllegalStateException(jdkName + " is missing from this JDK", e);
        }
    }

    @Override
    void digest(byte[] in, int off, int len, byte[] out, int outOffset) {
        md.update(in, off, len);
        try {
            // the (byte[], int, int) form writes in place and resets; digest() would allocate the result
            md.digest(out, outOffset, length());
        } catch (DigestException e) {
            throw new IllegalStateException("room for the digest was checked", e);
        }
    }
}
