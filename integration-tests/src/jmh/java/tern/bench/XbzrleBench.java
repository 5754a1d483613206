package tern.bench;

import static tern.bench.Pages.PAGE;
import static tern.bench.Pages.PAGES;
import static tern.bench.Pages.REGION;

import java.nio.ByteBuffer;
import java.util.Arrays;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;
import tern.common.xbzrle.XbzrleCodec;
import tern.common.xbzrle.XbzrleFormatException;

/**
 * XBZRLE encode of a 4 KiB page against its old version with {@code pct} % of bytes changed at
 * scattered positions, and decode of a 1 % delta. The output limit is one page, as in Tern's sender:
 * a delta that would be larger stops early and returns -1 (overflow), which is what 50 % does.
 */
public class XbzrleBench {
    private static final int PATTERNS = 64;

    /** One old/new page pair (direct buffers) that stays in cache. */
    @State(Scope.Thread)
    public static class EncodeHot {
        @Param({"0", "1", "10", "50"})
        public int pct;
        ByteBuffer oldPage;
        ByteBuffer newPage;
        XbzrleCodec codec;
        byte[] out;

        @Setup(Level.Trial)
        public void setup() {
            oldPage = Pages.directNonZero(PAGE, 7);
            newPage = ByteBuffer.allocateDirect(PAGE);
            newPage.put(0, oldPage, 0, PAGE);
            Pages.applyChanges(newPage, 0, Pages.changePatterns(pct, 1, 1000 + pct)[0]);
            codec = new XbzrleCodec(PAGE);
            out = new byte[PAGE];
            System.out.println("[setup] hot " + pct + " %: delta " + codec.encode(oldPage, newPage, out, 0, PAGE)
                    + " bytes (-1 = overflow)");
        }
    }

    /** Old and new versions of 1 GiB (two direct buffers), walked a page per invocation. */
    @State(Scope.Thread)
    public static class EncodeCold {
        @Param({"0", "1", "10", "50"})
        public int pct;
        ByteBuffer oldRegion;
        ByteBuffer newRegion;
        ByteBuffer oldView;
        ByteBuffer newView;
        XbzrleCodec codec;
        byte[] out;
        final PageWalk walk = new PageWalk();

        @Setup(Level.Trial)
        public void setup() {
            oldRegion = Pages.directNonZero(REGION, 0xC0FFEE);
            newRegion = ByteBuffer.allocateDirect(REGION);
            newRegion.put(0, oldRegion, 0, REGION);
            int[][] patterns = Pages.changePatterns(pct, PATTERNS, 2000 + pct);
            for (int p = 0; p < PAGES; p++) {
                Pages.applyChanges(newRegion, p * PAGE, patterns[p % PATTERNS]);
            }
            oldView = oldRegion.duplicate();
            newView = newRegion.duplicate();
            codec = new XbzrleCodec(PAGE);
            out = new byte[PAGE];
        }

        /** Both views on the next page. */
        void next() {
            int off = walk.nextOffset();
            PageWalk.on(oldView, off);
            PageWalk.on(newView, off);
        }
    }

    /** A 1 % delta and the old page it applies to (direct), in cache. Decoding is idempotent. */
    @State(Scope.Thread)
    public static class DecodeHot {
        ByteBuffer page;
        ByteBuffer delta;
        int length;
        XbzrleCodec codec;

        @Setup(Level.Trial)
        public void setup() {
            page = Pages.directNonZero(PAGE, 7);
            ByteBuffer neu = ByteBuffer.allocateDirect(PAGE);
            neu.put(0, page, 0, PAGE);
            Pages.applyChanges(neu, 0, Pages.changePatterns(1, 1, 1001)[0]);
            codec = new XbzrleCodec(PAGE);
            byte[] out = new byte[PAGE];
            length = codec.encode(page, neu, out, 0, PAGE);
            delta = ByteBuffer.wrap(out);
            System.out.println("[setup] decode hot 1 %: delta " + length + " bytes");
        }
    }

    /** 1 % deltas for every page of a 1 GiB direct buffer, applied in place a page per invocation. */
    @State(Scope.Thread)
    public static class DecodeCold {
        ByteBuffer region;
        ByteBuffer view;
        ByteBuffer deltas;
        int[] offsets; // delta of page p is deltas[offsets[p], offsets[p+1])
        XbzrleCodec codec;
        final PageWalk walk = new PageWalk();

        @Setup(Level.Trial)
        public void setup() {
            region = Pages.directNonZero(REGION, 0xC0FFEE);
            int[][] patterns = Pages.changePatterns(1, PATTERNS, 2001);
            codec = new XbzrleCodec(PAGE);
            ByteBuffer neu = ByteBuffer.allocateDirect(PAGE);
            ByteBuffer old = region.duplicate();
            byte[] all = new byte[PAGES * 256];
            offsets = new int[PAGES + 1];
            int d = 0;
            for (int p = 0; p < PAGES; p++) {
                int off = p * PAGE;
                neu.put(0, region, off, PAGE);
                Pages.applyChanges(neu, 0, patterns[p % PATTERNS]);
                PageWalk.on(old, off);
                if (all.length - d < PAGE) {
                    all = Arrays.copyOf(all, all.length * 2);
                }
                int n = codec.encode(old, neu, all, d, PAGE);
                if (n < 0) {
                    throw new IllegalStateException("1 % delta overflowed");
                }
                d += n;
                offsets[p + 1] = d;
            }
            deltas = ByteBuffer.wrap(all, 0, d).slice();
            view = region.duplicate();
            System.out.println("[setup] decode cold 1 %: mean delta " + (d / PAGES) + " bytes");
        }
    }

    @Benchmark
    public void encodeHot(EncodeHot s, Blackhole bh) {
        bh.consume(s.codec.encode(s.oldPage, s.newPage, s.out, 0, PAGE));
        bh.consume(s.out);
    }

    @Benchmark
    public void encodeCold(EncodeCold s, Blackhole bh) {
        s.next();
        bh.consume(s.codec.encode(s.oldView, s.newView, s.out, 0, PAGE));
        bh.consume(s.out);
    }

    @Benchmark
    public void decode1pctHot(DecodeHot s, Blackhole bh) throws XbzrleFormatException {
        s.codec.decode(s.delta, 0, s.length, s.page);
        bh.consume(s.page);
    }

    @Benchmark
    public void decode1pctCold(DecodeCold s, Blackhole bh) throws XbzrleFormatException {
        int p = s.walk.nextIndex();
        s.codec.decode(s.deltas, s.offsets[p], s.offsets[p + 1] - s.offsets[p], PageWalk.on(s.view, p * PAGE));
        bh.consume(s.view);
    }
}
