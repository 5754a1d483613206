package tern.sender.engine;

import tern.common.page.PageGeometry;

/**
 * What the engine will allocate for a migration, worked out before it allocates anything, so a
 * start-up check can refuse sizes the JVM cannot give (docs/memory.md, "Where it goes"). The
 * figures follow the allocations: {@link PageState} (bitmap, resend marks, {@link SentPages}),
 * the receiver's table as it queues in the channel after a resume, the {@link PageBatchEncoder}'s
 * payload and the {@link XbzrleCache} (its pages off-heap, its tags on the heap); the one page
 * of the capture buffer is left to the checks' reserve.
 *
 * @param heapBytes   on the Java heap
 * @param directBytes direct (off-heap) memory the JDK counts against -XX:MaxDirectMemorySize
 */
public record EngineFootprint(long heapBytes, long directBytes) {

    /**
     * @param hasDirtyLog the source has a dirty log (a scan source keeps the sent digests whatever --audit says)
     * @param resumes     --resume-timeout is not 0: the sent digests are kept, and a resume queues the receiver's table
     */
    public static EngineFootprint of(PageGeometry g, EngineConfig cfg, boolean hasDirtyLog, boolean resumes) {
        long pages = g.pageCount();
        int digest = cfg.digest().length();
        boolean keepSent = cfg.hashes() || !hasDirtyLog || resumes;
        long heap = (pages + 7) / 8 * (resumes ? 2 : 1)
                + (keepSent ? pages * (digest + 4L) : 0)
                + (resumes ? pages * digest : 0)
                + (long) cfg.batchPages() * g.pageSize()
                + (cfg.xbzrle() ? cfg.xbzrleCacheBytes() / g.pageSize() * 4 : 0);
        long direct = cfg.xbzrle() ? cfg.xbzrleCacheBytes() : 0;
        return new EngineFootprint(heap, direct);
    }
}
