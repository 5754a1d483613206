package tern.bench;

import static tern.bench.Pages.PAGE;
import static tern.bench.Pages.REGION;

import java.nio.ByteBuffer;
import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import net.openhft.hashing.LongTupleHashFunction;
import org.bouncycastle.crypto.Digest;
import org.bouncycastle.crypto.digests.SHA1Digest;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;
import tern.common.digest.DigestKind;
import tern.common.digest.PageDigest;
import tern.common.page.ZeroPage;

/**
 * Per-page cost of copying, digesting and zero-testing one 4 KiB page. "Hot" repeats one page that
 * stays in cache; "cold" walks the pages of a 1 GiB buffer in order, one page per invocation, with
 * wraparound, so each page comes from memory.
 */
public class CopyDigestBench {
    private static final ZeroPage ZERO = new ZeroPage(Pages.PAGE);

    /** One page of non-zero data, direct and on the heap, that stays in cache. */
    @State(Scope.Thread)
    public static class Hot {
        ByteBuffer page;
        byte[] heapPage;
        ByteBuffer dst;
        ByteBuffer zero;

        @Setup(Level.Trial)
        public void setup() {
            page = Pages.directNonZero(PAGE, 42);
            heapPage = new byte[PAGE];
            Pages.fillNonZero(heapPage, 42);
            dst = ByteBuffer.allocateDirect(PAGE);
            zero = ByteBuffer.allocateDirect(PAGE);
        }
    }

    /** A 1 GiB direct buffer of non-zero data, walked a page per invocation. */
    @State(Scope.Thread)
    public static class ColdDirect {
        ByteBuffer region;
        ByteBuffer view; // reused duplicate positioned on the current page
        ByteBuffer dst;
        final PageWalk walk = new PageWalk();

        @Setup(Level.Trial)
        public void setup() {
            region = Pages.directNonZero(REGION, 0x9E3779B97F4A7C15L);
            view = region.duplicate();
            dst = ByteBuffer.allocateDirect(PAGE);
        }

        /** {@link #view} positioned on the next page. */
        ByteBuffer nextPage() {
            return PageWalk.on(view, walk.nextOffset());
        }
    }

    /** A 1 GiB zeroed direct buffer, walked a page per invocation. */
    @State(Scope.Thread)
    public static class ColdZero {
        ByteBuffer region;
        ByteBuffer view;
        final PageWalk walk = new PageWalk();

        @Setup(Level.Trial)
        public void setup() {
            region = ByteBuffer.allocateDirect(REGION); // zeroed (and so touched) by the JDK
            view = region.duplicate();
        }

        ByteBuffer nextPage() {
            return PageWalk.on(view, walk.nextOffset());
        }
    }

    /** A 1 GiB heap array of non-zero data, for the byte[] digests. */
    @State(Scope.Thread)
    public static class ColdHeap {
        byte[] region;
        final PageWalk walk = new PageWalk();

        @Setup(Level.Trial)
        public void setup() {
            region = new byte[REGION];
            Pages.fillNonZero(region, 0x9E3779B97F4A7C15L);
        }
    }

    /** Tern's own digest API. */
    @State(Scope.Thread)
    public static class Tern {
        @Param({"SHA1", "SHA256", "BLAKE3", "XXH3_128"})
        public String kind;
        PageDigest digest;
        byte[] out;

        @Setup(Level.Trial)
        public void setup() {
            digest = DigestKind.valueOf(kind).newDigest();
            out = new byte[64];
        }
    }

    /** Raw JDK MessageDigest and BouncyCastle digests on a byte[]. */
    @State(Scope.Thread)
    public static class Sha {
        @Param({"SHA-1", "SHA-256"})
        public String algo;
        MessageDigest jdk;
        Digest bc;
        byte[] out;

        @Setup(Level.Trial)
        public void setup() throws NoSuchAlgorithmException {
            jdk = MessageDigest.getInstance(algo);
            bc = algo.equals("SHA-1") ? new SHA1Digest() : new SHA256Digest();
            out = new byte[64];
        }
    }

    // ---- copy ----

    @Benchmark
    public void copyHot(Hot h, Blackhole bh) {
        h.dst.put(0, h.page, 0, PAGE);
        bh.consume(h.dst);
    }

    @Benchmark
    public void copyCold(ColdDirect c, Blackhole bh) {
        c.dst.put(0, c.region, c.walk.nextOffset(), PAGE);
        bh.consume(c.dst);
    }

    // ---- Tern digests (direct ByteBuffer) ----

    @Benchmark
    public void ternDigestHot(Hot h, Tern t, Blackhole bh) {
        t.digest.digest(h.page, t.out, 0);
        bh.consume(t.out);
    }

    @Benchmark
    public void ternDigestCold(ColdDirect c, Tern t, Blackhole bh) {
        t.digest.digest(c.nextPage(), t.out, 0);
        bh.consume(t.out);
    }

    // ---- JDK MessageDigest on byte[] ----

    @Benchmark
    public void jdkShaHot(Hot h, Sha s, Blackhole bh) throws DigestException {
        s.jdk.update(h.heapPage, 0, PAGE);
        bh.consume(s.jdk.digest(s.out, 0, s.out.length));
        bh.consume(s.out);
    }

    @Benchmark
    public void jdkShaCold(ColdHeap c, Sha s, Blackhole bh) throws DigestException {
        s.jdk.update(c.region, c.walk.nextOffset(), PAGE);
        bh.consume(s.jdk.digest(s.out, 0, s.out.length));
        bh.consume(s.out);
    }

    // ---- BouncyCastle on byte[] ----

    @Benchmark
    public void bcShaHot(Hot h, Sha s, Blackhole bh) {
        s.bc.update(h.heapPage, 0, PAGE);
        bh.consume(s.bc.doFinal(s.out, 0));
        bh.consume(s.out);
    }

    @Benchmark
    public void bcShaCold(ColdHeap c, Sha s, Blackhole bh) {
        s.bc.update(c.region, c.walk.nextOffset(), PAGE);
        bh.consume(s.bc.doFinal(s.out, 0));
        bh.consume(s.out);
    }

    // ---- the xxHash library Tern used to hash pages with, on byte[] (Tern now hashes in place) ----

    @State(Scope.Thread)
    public static class Library {
        final LongTupleHashFunction xx128 = LongTupleHashFunction.xx128();
        final long[] out = new long[2];
    }

    @Benchmark
    public void xxh3LibraryHot(Hot h, Library l, Blackhole bh) {
        l.xx128.hashBytes(h.heapPage, 0, PAGE, l.out);
        bh.consume(l.out);
    }

    @Benchmark
    public void xxh3LibraryCold(ColdHeap c, Library l, Blackhole bh) {
        l.xx128.hashBytes(c.region, c.walk.nextOffset(), PAGE, l.out);
        bh.consume(l.out);
    }

    // ---- zero-page check, worst case (every byte read) ----

    @Benchmark
    public boolean zeroCheckHot(Hot h) {
        return ZERO.isZero(h.zero);
    }

    @Benchmark
    public boolean zeroCheckCold(ColdZero c) {
        return ZERO.isZero(c.nextPage());
    }
}
