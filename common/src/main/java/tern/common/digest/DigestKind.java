package tern.common.digest;

import java.util.Locale;
import tern.proto.DigestAlgorithm;

/** The page digest algorithms, with their names on the command line and on the wire. */
public enum DigestKind {
    SHA1("sha1", 20, true),
    SHA256("sha256", 32, true),
    BLAKE3("blake3", 32, true),
    XXH3_128("xxh3-128", 16, false);

    private final String cliName;
    private final int length;
    private final boolean cryptographic;

    DigestKind(String cliName, int length, boolean cryptographic) {
        this.cliName = cliName;
        this.length = length;
        this.cryptographic = cryptographic;
    }

    public String cliName() {
        return cliName;
    }

    /** Bytes of output. */
    public int length() {
        return length;
    }

    /**
     * Whether the function was designed to resist deliberately built collisions. SHA-1 counts,
     * although chosen-prefix collisions against it are practical; XXH3 does not: a workload that
     * wants to could craft two pages with one digest and make the sender skip a changed page.
     */
    public boolean cryptographic() {
        return cryptographic;
    }

    /** A new, independent digest instance for one thread. */
    public PageDigest newDigest() {
        return switch (this) {
            case SHA1 -> new JdkPageDigest(this, "SHA-1");
            case SHA256 -> new JdkPageDigest(this, "SHA-256");
            case BLAKE3 -> new Blake3PageDigest();
            case XXH3_128 -> new Xxh3PageDigest();
        };
    }

    public DigestAlgorithm toProto() {
        return switch (this) {
            case SHA1 -> DigestAlgorithm.SHA1;
            case SHA256 -> DigestAlgorithm.SHA256;
            case BLAKE3 -> DigestAlgorithm.BLAKE3;
            case XXH3_128 -> DigestAlgorithm.XXH3_128;
        };
    }

    /** @throws IllegalArgumentException for UNSPECIFIED, UNRECOGNIZED (a newer peer's value) or null */
    public static DigestKind fromProto(DigestAlgorithm a) {
        if (a != null) {
            switch (a) {
                case SHA1: return SHA1;
                case SHA256: return SHA256;
                case BLAKE3: return BLAKE3;
                case XXH3_128: return XXH3_128;
                default: break;
            }
        }
        throw new IllegalArgumentException("unsupported digest algorithm: " + a);
    }

    /** Case-insensitive. @throws IllegalArgumentException naming the valid names */
    public static DigestKind fromCliName(String s) {
        if (s != null) {
            String lower = s.toLowerCase(Locale.ROOT);
            for (DigestKind k : values()) {
                if (k.cliName.equals(lower)) {
                    return k;
                }
            }
        }
        throw new IllegalArgumentException("unknown digest algorithm '" + s + "': expected one of " + cliNames());
    }

    /** "sha1, sha256, blake3, xxh3-128", for help and error text. */
    public static String cliNames() {
        StringBuilder sb = new StringBuilder();
        for (DigestKind k : values()) {
            if (sb.length() > 0) {
                sb.append(", ");
            }
            sb.append(k.cliName);
        }
        return sb.toString();
    }
}
